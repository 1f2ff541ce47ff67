//! The wall clock, and the two timestamp formats the CLI writes: RFC 3339 (policy events'
//! `published_at`) and the common-log format of API Gateway's `requestContext.time`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Unix seconds now.
pub fn now_seconds() -> i64 {
    (authorizer::observe::unix_millis() / 1000) as i64
}

fn utc(unix: i64) -> DateTime<Utc> {
    // Out of chrono's range (hundreds of millennia away) reads as the epoch.
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

/// `2026-11-18T11:06:40Z`.
pub fn rfc3339(unix: i64) -> String {
    utc(unix).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `18/Nov/2026:11:06:40 +0000`.
pub fn clf(unix: i64) -> String {
    utc(unix).format("%d/%b/%Y:%H:%M:%S +0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_matches_api_gateway_format() {
        assert_eq!(clf(1_795_000_000), "18/Nov/2026:11:06:40 +0000");
        assert_eq!(clf(0), "01/Jan/1970:00:00:00 +0000");
    }

    #[test]
    fn clf_handles_leap_days_and_year_ends() {
        // 2024-02-29T23:59:59Z, 2023-12-31T23:59:59Z, 2000-03-01T00:00:00Z.
        assert_eq!(clf(1_709_251_199), "29/Feb/2024:23:59:59 +0000");
        assert_eq!(clf(1_704_067_199), "31/Dec/2023:23:59:59 +0000");
        assert_eq!(clf(951_868_800), "01/Mar/2000:00:00:00 +0000");
    }

    #[test]
    fn rfc3339_is_utc_to_the_second() {
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
    }
}
