//! Attach sessions on conmon's attach socket (`<dir>/attach`, seqpacket).
//!
//! conmon sends each chunk of output as one packet prefixed with a stream
//! byte (2 = stdout, 3 = stderr); input goes back raw. Detach keys are the
//! client's business: they are watched for on stdin here and never sent.
//! Closing our write side (`SHUT_WR`) tells conmon stdin has ended.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::socket::Shutdown;
use rpod_runtime_core::Error;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::oci::{AttachEnd, AttachIo};

use crate::seqpacket::SeqPacket;

/// Stream byte of stdout packets.
const STDOUT: u8 = 2;
/// Stream byte of stderr packets.
const STDERR: u8 = 3;
/// conmon sends at most 8 KiB of payload per packet; be generous.
const RECV_BUF: usize = 64 * 1024 + 1;
/// Input is sent in packets no larger than conmon's read buffer.
const SEND_CHUNK: usize = 8192;

/// Connects to `<dir>/attach` through `/proc/self/fd/<dirfd>/attach`, so
/// that a long `dir` does not overflow `sun_path`.
pub(crate) fn connect(dir: &Path) -> Result<SeqPacket, Error> {
    let dirfd = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open(dir)
        .at(dir)?;
    let via = PathBuf::from(format!("/proc/self/fd/{}/attach", dirfd.as_raw_fd()));
    SeqPacket::connect(&via).at(dir.join("attach"))
}

/// Copies output to `io.stdout`/`io.stderr` until conmon closes the socket,
/// and `io.stdin` (if any) into the socket on a thread, until the detach keys.
pub(crate) fn stream(sock: SeqPacket, io: AttachIo) -> Result<AttachEnd, Error> {
    let AttachIo {
        stdin,
        mut stdout,
        mut stderr,
        detach_keys,
    } = io;
    let sock = Arc::new(sock);
    let detached = Arc::new(AtomicBool::new(false));
    if let Some(stdin) = stdin {
        let sock = Arc::clone(&sock);
        let detached = Arc::clone(&detached);
        // Not joined: a blocked read of the caller's stdin must not keep the
        // session alive once the container's output has ended.
        std::thread::Builder::new()
            .name("attach-stdin".into())
            .spawn(move || copy_stdin(stdin, &sock, detach_keys, &detached))
            .map_err(|e| Error::msg(format!("starting the stdin copier: {e}")))?;
    }
    let result = copy_output(&sock, &mut stdout, &mut stderr);
    // Wake the stdin copier, if it is still running, on its next send.
    let _ = sock.shutdown(Shutdown::Both);
    let flushed = stdout.flush().and_then(|()| stderr.flush());
    if detached.load(Ordering::SeqCst) {
        return Ok(AttachEnd::Detached);
    }
    result?;
    flushed.map_err(|e| Error::msg(format!("writing container output: {e}")))?;
    Ok(AttachEnd::Ended)
}

fn copy_output(
    sock: &SeqPacket,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Error> {
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        let n = match sock.recv(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
            Err(e) => return Err(Error::msg(format!("reading from the attach socket: {e}"))),
        };
        let out: &mut dyn Write = match buf[0] {
            STDOUT => stdout,
            STDERR => stderr,
            other => {
                tracing::debug!(stream = other, "ignoring attach packet of unknown stream");
                continue;
            }
        };
        out.write_all(&buf[1..n])
            .and_then(|()| out.flush())
            .map_err(|e| Error::msg(format!("writing container output: {e}")))?;
    }
}

fn copy_stdin(
    mut stdin: Box<dyn Read + Send>,
    sock: &SeqPacket,
    keys: Vec<u8>,
    detached: &AtomicBool,
) {
    let mut matcher = DetachMatcher::new(keys);
    let mut buf = vec![0u8; SEND_CHUNK];
    let mut out = Vec::with_capacity(SEND_CHUNK);
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::debug!("reading stdin for attach: {e}");
                0
            }
        };
        out.clear();
        if n == 0 {
            out.extend_from_slice(matcher.pending());
            let _ = send_all(sock, &out);
            let _ = sock.shutdown(Shutdown::Write);
            return;
        }
        if matcher.feed(&buf[..n], &mut out) {
            let _ = send_all(sock, &out);
            detached.store(true, Ordering::SeqCst);
            let _ = sock.shutdown(Shutdown::Both);
            return;
        }
        if send_all(sock, &out).is_err() {
            return;
        }
    }
}

fn send_all(sock: &SeqPacket, data: &[u8]) -> io::Result<()> {
    for chunk in data.chunks(SEND_CHUNK) {
        sock.send(chunk)?;
    }
    Ok(())
}

/// Watches a byte stream for the detach key sequence, holding back bytes
/// that might start it until it is known whether they do.
#[derive(Debug)]
pub(crate) struct DetachMatcher {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachMatcher {
    /// A matcher for `keys` (empty: never detaches).
    pub(crate) fn new(keys: Vec<u8>) -> Self {
        DetachMatcher { keys, matched: 0 }
    }

    /// Feeds `input`, appending what should be forwarded to `out`. True when
    /// the keys were typed; bytes after them are dropped.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        if self.keys.is_empty() {
            out.extend_from_slice(input);
            return false;
        }
        for &b in input {
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return true;
                }
                continue;
            }
            // The held-back bytes plus this one are not the keys: keep the
            // longest tail of them that still starts the keys, forward the rest.
            let mut held = self.keys[..self.matched].to_vec();
            held.push(b);
            let keep_from = (1..=held.len())
                .find(|&s| self.keys.starts_with(&held[s..]))
                .unwrap_or(held.len());
            out.extend_from_slice(&held[..keep_from]);
            self.matched = held.len() - keep_from;
        }
        false
    }

    /// Bytes held back as a possible start of the keys.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.keys[..self.matched]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_detaches_and_forwards_the_rest() {
        let mut m = DetachMatcher::new(vec![0x10, 0x11]);
        let mut out = Vec::new();
        assert!(!m.feed(b"ab\x10", &mut out));
        assert_eq!(out, b"ab");
        assert_eq!(m.pending(), [0x10]);
        out.clear();
        assert!(!m.feed(b"c", &mut out));
        assert_eq!(out, b"\x10c");
        out.clear();
        assert!(!m.feed(b"\x10\x10", &mut out));
        assert_eq!(out, b"\x10");
        assert!(m.feed(b"\x11tail", &mut out));
        assert_eq!(out, b"\x10");
    }

    #[test]
    fn matcher_handles_self_overlapping_keys() {
        let mut m = DetachMatcher::new(b"aab".to_vec());
        let mut out = Vec::new();
        assert!(m.feed(b"xaaab", &mut out));
        assert_eq!(out, b"xa");
    }

    #[test]
    fn matcher_without_keys_forwards_everything() {
        let mut m = DetachMatcher::new(Vec::new());
        let mut out = Vec::new();
        assert!(!m.feed(b"\x10\x11", &mut out));
        assert_eq!(out, b"\x10\x11");
        assert!(m.pending().is_empty());
    }

    #[test]
    fn output_is_split_by_stream_byte() {
        let (ours, theirs) = SeqPacket::pair().unwrap();
        let theirs = SeqPacket::from_fd(theirs);
        theirs.send(b"\x02out\n").unwrap();
        theirs.send(b"\x03err\n").unwrap();
        theirs.send(b"\x09junk").unwrap();
        theirs.send(b"\x02more").unwrap();
        drop(theirs);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        copy_output(&ours, &mut out, &mut err).unwrap();
        assert_eq!(out, b"out\nmore");
        assert_eq!(err, b"err\n");
    }

    #[test]
    fn stdin_is_sent_and_then_closed() {
        let (ours, theirs) = SeqPacket::pair().unwrap();
        let theirs = SeqPacket::from_fd(theirs);
        let flag = AtomicBool::new(false);
        copy_stdin(Box::new(&b"hello\x10"[..]), &ours, vec![0x10, 0x11], &flag);
        assert!(!flag.load(Ordering::SeqCst));
        let mut buf = [0u8; 64];
        let mut got = Vec::new();
        loop {
            let n = theirs.recv(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        // The held-back ctrl-p is flushed at EOF, then SHUT_WR gives EOF.
        assert_eq!(got, b"hello\x10");
    }
}
