//! `authz layer`: the baked-policy Lambda layer zip, validated and byte-for-byte
//! reproducible.
//!
//! The zip holds one entry, `gateway-policy.json` (Lambda mounts it at
//! `/opt/gateway-policy.json`), stored uncompressed with a fixed timestamp and mode: its bytes
//! depend only on the policy's bytes, so an unchanged policy is never a new layer version and
//! `--check` can tell whether a zip carries exactly a given policy.

use std::path::PathBuf;
use std::process::ExitCode;

use authorizer::load_policy;
use aws_lc_rs::digest::{digest, SHA256};
use base64::Engine;
use clap::Args;

use crate::files::read;

/// The entry's name: the function reads `/opt/gateway-policy.json`.
const ENTRY: &str = "gateway-policy.json";
/// MS-DOS date of 2000-01-01 (the time is 00:00:00, which is 0).
const DOS_DATE: u16 = ((2000 - 1980) << 9) | (1 << 5) | 1;
/// A regular file, rw-r--r--, in the Unix half of the external attributes.
const EXTERNAL_ATTR: u32 = 0o100_644 << 16;

#[derive(Args)]
pub struct LayerArgs {
    /// The policy document (gateway-policy/v1 JSON): the module's `baked_policy_json` file.
    policy: PathBuf,
    /// Where to write the layer zip.
    #[arg(long, conflicts_with = "check", required_unless_present = "check")]
    out: Option<PathBuf>,
    /// Instead of writing: check that this zip is exactly the layer of POLICY.
    #[arg(long)]
    check: Option<PathBuf>,
    /// Also require the policy to list this API id in `apis[].id` (the module's `api_id`).
    #[arg(long)]
    api_id: Option<String>,
}

pub fn layer_cmd(args: LayerArgs) -> Result<ExitCode, String> {
    let text = read(&args.policy)?;
    let view = load_policy(&text).map_err(|errors| {
        format!(
            "{}: not a valid policy, no layer written:\n{errors}",
            args.policy.display()
        )
    })?;
    if let Some(api_id) = &args.api_id {
        let listed = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|doc| doc.get("apis").and_then(|a| a.as_array()).cloned())
            .is_some_and(|apis| {
                apis.iter()
                    .any(|a| a.get("id").and_then(|i| i.as_str()) == Some(api_id.as_str()))
            });
        if !listed {
            return Err(format!(
                "{}: no entry in \"apis\" has id \"{api_id}\" (--api-id): every route would be denied",
                args.policy.display()
            ));
        }
    }
    let zip = layer_zip(text.as_bytes())?;
    let hash = base64::engine::general_purpose::STANDARD.encode(digest(&SHA256, &zip));
    if let Some(path) = args.check {
        let found =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if found != zip {
            eprintln!(
                "{}: not the layer of {} (revision {}): rebuild it with `authz layer {} --out {}`",
                path.display(),
                args.policy.display(),
                view.revision,
                args.policy.display(),
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        println!(
            "{}: the layer of {} (revision {}), sha256 {hash}",
            path.display(),
            args.policy.display(),
            view.revision
        );
        return Ok(ExitCode::SUCCESS);
    }
    let out = args.out.ok_or("--out or --check is required")?;
    std::fs::write(&out, &zip).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "{}: policy layer of {} (revision {}), {} bytes, sha256 {hash}",
        out.display(),
        args.policy.display(),
        view.revision,
        zip.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// A zip with the one stored entry `gateway-policy.json` holding `policy`.
fn layer_zip(policy: &[u8]) -> Result<Vec<u8>, String> {
    let size = u32::try_from(policy.len()).map_err(|_| "the policy is larger than 4 GiB")?;
    let crc = crc32(policy);
    let name = ENTRY.as_bytes();
    let name_len = name.len() as u16;
    let mut z = Vec::with_capacity(policy.len() + 128);
    // local file header: version 1.0, no flags, stored, fixed time and date
    put32(&mut z, 0x0403_4b50);
    for v in [10, 0, 0, 0, DOS_DATE] {
        put16(&mut z, v);
    }
    for v in [crc, size, size] {
        put32(&mut z, v);
    }
    put16(&mut z, name_len);
    put16(&mut z, 0);
    z.extend_from_slice(name);
    z.extend_from_slice(policy);
    // central directory: made by Unix (3), version 2.0
    let cd_offset = u32::try_from(z.len()).map_err(|_| "the policy is larger than 4 GiB")?;
    put32(&mut z, 0x0201_4b50);
    for v in [(3 << 8) | 20, 10, 0, 0, 0, DOS_DATE] {
        put16(&mut z, v);
    }
    for v in [crc, size, size] {
        put32(&mut z, v);
    }
    for v in [name_len, 0, 0, 0, 0] {
        put16(&mut z, v);
    }
    put32(&mut z, EXTERNAL_ATTR);
    put32(&mut z, 0);
    z.extend_from_slice(name);
    let cd_size = z.len() as u32 - cd_offset;
    // end of central directory: one entry
    put32(&mut z, 0x0605_4b50);
    for v in [0, 0, 1, 1] {
        put16(&mut z, v);
    }
    put32(&mut z, cd_size);
    put32(&mut z, cd_offset);
    put16(&mut z, 0);
    Ok(z)
}

fn put16(z: &mut Vec<u8>, v: u16) {
    z.extend_from_slice(&v.to_le_bytes());
}

fn put32(z: &mut Vec<u8>, v: u32) {
    z.extend_from_slice(&v.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected), as zip requires; bitwise: layer files are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u32_at(z: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([z[at], z[at + 1], z[at + 2], z[at + 3]])
    }

    /// The entry's name and data, read back through the central directory as an unzip
    /// tool does.
    fn read_back(z: &[u8]) -> (String, Vec<u8>, u32) {
        let eocd = z.len() - 22;
        assert_eq!(u32_at(z, eocd), 0x0605_4b50);
        let cd = u32_at(z, eocd + 16) as usize;
        assert_eq!(u32_at(z, cd), 0x0201_4b50);
        let crc = u32_at(z, cd + 16);
        let size = u32_at(z, cd + 24) as usize;
        let name_len = u16::from_le_bytes([z[cd + 28], z[cd + 29]]) as usize;
        let local = u32_at(z, cd + 42) as usize;
        assert_eq!(u32_at(z, local), 0x0403_4b50);
        let local_name_len = u16::from_le_bytes([z[local + 26], z[local + 27]]) as usize;
        let data_at = local + 30 + local_name_len;
        let name = String::from_utf8(z[cd + 46..cd + 46 + name_len].to_vec()).unwrap();
        (name, z[data_at..data_at + size].to_vec(), crc)
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    proptest! {
        #[test]
        fn the_zip_depends_only_on_the_policy_and_carries_it_exactly(policy in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let first = layer_zip(&policy).unwrap();
            prop_assert_eq!(&first, &layer_zip(&policy).unwrap());
            let (name, data, crc) = read_back(&first);
            prop_assert_eq!(name, ENTRY);
            prop_assert_eq!(crc, crc32(&policy));
            prop_assert_eq!(data, policy);
        }

        #[test]
        fn different_policies_give_different_zips(a in proptest::collection::vec(any::<u8>(), 1..256), b in proptest::collection::vec(any::<u8>(), 1..256)) {
            prop_assume!(a != b);
            prop_assert_ne!(layer_zip(&a).unwrap(), layer_zip(&b).unwrap());
        }
    }
}
