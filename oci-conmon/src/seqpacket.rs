//! `AF_UNIX SOCK_SEQPACKET` sockets: conmon's sync, start and attach pipes and
//! its attach socket. Each `send` is one packet; each `recv` returns one.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{
    self, AddressFamily, MsgFlags, Shutdown, SockFlag, SockType, UnixAddr, sockopt,
};
use nix::sys::time::TimeVal;

/// One end of a seqpacket connection.
#[derive(Debug)]
pub(crate) struct SeqPacket {
    fd: OwnedFd,
}

impl SeqPacket {
    /// A connected pair: our end, and the end to hand to a child.
    pub(crate) fn pair() -> io::Result<(SeqPacket, OwnedFd)> {
        let (ours, theirs) = socket::socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        Ok((SeqPacket { fd: ours }, theirs))
    }

    /// Wraps a connected socket (the other end of [`pair`](Self::pair), in tests).
    #[cfg(test)]
    pub(crate) fn from_fd(fd: OwnedFd) -> SeqPacket {
        SeqPacket { fd }
    }

    /// Connects to the listening socket at `path` (at most 107 bytes).
    pub(crate) fn connect(path: &Path) -> io::Result<SeqPacket> {
        let fd = socket::socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        let addr = UnixAddr::new(path)?;
        retry(|| socket::connect(fd.as_raw_fd(), &addr))?;
        Ok(SeqPacket { fd })
    }

    /// Sends `buf` as one packet (never raising SIGPIPE).
    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        Ok(retry(|| {
            socket::send(self.fd.as_raw_fd(), buf, MsgFlags::MSG_NOSIGNAL)
        })?)
    }

    /// Receives one packet into `buf`; 0 means the peer is gone.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(retry(|| {
            socket::recv(self.fd.as_raw_fd(), buf, MsgFlags::empty())
        })?)
    }

    /// Like [`recv`](Self::recv), failing with `TimedOut` after `timeout`
    /// (`None`: wait forever).
    pub(crate) fn recv_timeout(
        &self,
        buf: &mut [u8],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let tv = match timeout {
            // A zero timeval means "no timeout" to the kernel: use 1 µs.
            Some(t) => TimeVal::new(
                t.as_secs().try_into().unwrap_or(i64::MAX),
                i64::from(t.subsec_micros()).max(i64::from(t.is_zero())),
            ),
            None => TimeVal::new(0, 0),
        };
        socket::setsockopt(&self.fd.as_fd(), sockopt::ReceiveTimeout, &tv)?;
        match self.recv(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "timed out waiting for conmon",
            )),
            other => other,
        }
    }

    /// Shuts down one or both directions.
    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match socket::shutdown(self.fd.as_raw_fd(), how) {
            Ok(()) | Err(Errno::ENOTCONN) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Calls `f` until it does not fail with `EINTR`.
fn retry<T>(mut f: impl FnMut() -> nix::Result<T>) -> nix::Result<T> {
    loop {
        match f() {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_keep_their_boundaries() {
        let (a, b) = SeqPacket::pair().unwrap();
        let b = SeqPacket { fd: b };
        a.send(b"one").unwrap();
        a.send(b"three").unwrap();
        let mut buf = [0u8; 64];
        let n = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"one");
        let n = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"three");
        drop(a);
        assert_eq!(b.recv(&mut buf).unwrap(), 0);
    }

    #[test]
    fn recv_timeout_times_out() {
        let (a, _b) = SeqPacket::pair().unwrap();
        let mut buf = [0u8; 8];
        let start = std::time::Instant::now();
        let e = a
            .recv_timeout(&mut buf, Some(Duration::from_millis(50)))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(40));
    }
}
