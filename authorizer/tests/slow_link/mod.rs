//! A TCP proxy that holds back everything the broker sends for a fixed time: a slow link,
//! or a broker slow to answer, between a client and a real Kafka. The broker must advertise
//! the proxy's address on the listener behind it (`KAFKA_PROXIED_*` in scripts/kafka.sh), or
//! clients would find the broker's own address in the metadata and go around the proxy.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Listens on `listen` and forwards every connection to `upstream`, delaying each chunk the
/// upstream sends by `delay` (order and throughput are kept). Runs until the process ends.
pub fn start(listen: &str, upstream: &str, delay: Duration) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen)?;
    let upstream = upstream.to_string();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            thread::spawn(move || {
                if let Ok(server) = TcpStream::connect(&upstream) {
                    pipe(client, server, delay);
                }
            });
        }
    });
    Ok(())
}

fn pipe(client: TcpStream, server: TcpStream, delay: Duration) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(mut client_in), Ok(mut server_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    // Requests go straight through.
    thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut server_out);
        let _ = server_out.shutdown(Shutdown::Write);
    });
    // Responses: read as they come, written once `delay` has passed since each arrived.
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let mut server_in = server;
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = server_in.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    let mut client_out = client;
    for (arrived, chunk) in rx {
        thread::sleep((arrived + delay).saturating_duration_since(Instant::now()));
        if client_out.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = client_out.shutdown(Shutdown::Both);
}
