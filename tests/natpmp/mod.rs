//! A NAT-PMP gateway (RFC 6886) of the tests' own, in a network namespace they name: enough
//! for a client such as natpmpc — the public address (opcode 0) and UDP/TCP mappings (1, 2).
//! It grants `first` for the first `switch_after` mapping requests and `then` after, each with
//! `lifetime`, and counts the mapping requests it answered.
#![allow(dead_code)]

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct Gateway {
    pub mappings: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub struct Grants {
    pub first: u16,
    pub then: u16,
    pub switch_after: usize,
    pub lifetime: u32,
}

impl Gateway {
    /// Serve on `address`:5351 inside the network namespace at `netns_path` (a file of nsfs,
    /// e.g. `/proc/<pid>/root/run/netns/<name>`), from a thread of its own that enters it.
    pub fn start(netns_path: &str, address: [u8; 4], grants: Grants) -> Result<Gateway, String> {
        let ns = std::fs::File::open(netns_path).map_err(|e| format!("{netns_path}: {e}"))?;
        let mappings = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (count, halt) = (mappings.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            // SAFETY: setns on a namespace file we opened; it changes this thread only.
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                let _ = ready_tx.send(Err(format!("setns: {}", std::io::Error::last_os_error())));
                return;
            }
            let socket = match UdpSocket::bind((std::net::Ipv4Addr::from(address), 5351)) {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("bind: {e}")));
                    return;
                }
            };
            let _ = socket.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = ready_tx.send(Ok(()));
            let mut buf = [0u8; 64];
            while !halt.load(Ordering::SeqCst) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if n < 2 || buf[0] != 0 {
                    continue;
                }
                let epoch = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as u32);
                let mut reply = vec![0, 128 + buf[1], 0, 0];
                reply.extend_from_slice(&epoch.to_be_bytes());
                match buf[1] {
                    0 => reply.extend_from_slice(&[198, 51, 100, 1]),
                    1 | 2 if n >= 12 => {
                        let served = count.fetch_add(1, Ordering::SeqCst);
                        let port = if served < grants.switch_after {
                            grants.first
                        } else {
                            grants.then
                        };
                        reply.extend_from_slice(&buf[4..6]); // the internal port asked for
                        reply.extend_from_slice(&port.to_be_bytes());
                        reply.extend_from_slice(&grants.lifetime.to_be_bytes());
                    }
                    _ => continue,
                }
                let _ = socket.send_to(&reply, from);
            }
        });
        ready_rx.recv().map_err(|e| format!("the gateway's thread: {e}"))??;
        Ok(Gateway {
            mappings,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
