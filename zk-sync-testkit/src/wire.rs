//! Plain blocking talk to a ZooKeeper server: four-letter words and a session handshake probe.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// Sends a four-letter word (`ruok`, `srvr`, `mntr`, `cons`, `wchc`, ...) and returns the reply.
///
/// Bounded: connecting takes at most 2 s and the reply must arrive within 3 s (a paused server
/// times out with [`io::ErrorKind::WouldBlock`] or [`io::ErrorKind::TimedOut`]).
pub(crate) fn four_letter(addr: SocketAddr, cmd: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(cmd.as_bytes())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

/// Opens a real session (ConnectRequest) on `addr` and closes it again (CloseSession).
///
/// Succeeds only when the server answered with a live session, i.e. it is serving: a quorum
/// member that is not part of an elected quorum refuses the handshake.
pub(crate) fn probe_session(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;

    // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly.
    let mut body = Vec::with_capacity(45);
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&0i64.to_be_bytes());
    body.extend_from_slice(&4000i32.to_be_bytes());
    body.extend_from_slice(&0i64.to_be_bytes());
    body.extend_from_slice(&16i32.to_be_bytes());
    body.extend_from_slice(&[0u8; 16]);
    body.push(0);
    write_frame(&mut stream, &body)?;

    // ConnectResponse: protocolVersion, timeOut, sessionId, passwd, readOnly.
    let reply = read_frame(&mut stream)?;
    if reply.len() < 16 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "short ConnectResponse",
        ));
    }
    let timeout = i32::from_be_bytes(reply[4..8].try_into().expect("4 bytes"));
    let session_id = i64::from_be_bytes(reply[8..16].try_into().expect("8 bytes"));
    if timeout <= 0 || session_id == 0 {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "server refused the session",
        ));
    }

    // RequestHeader { xid: 1, type: CloseSession (-11) }, then wait for its reply.
    let mut close = Vec::with_capacity(8);
    close.extend_from_slice(&1i32.to_be_bytes());
    close.extend_from_slice(&(-11i32).to_be_bytes());
    write_frame(&mut stream, &close)?;
    read_frame(&mut stream)?;
    Ok(())
}

fn write_frame(stream: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let len = i32::try_from(body.len()).map_err(|_| io::Error::other("frame too large"))?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    stream.write_all(&frame)
}

fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = i32::from_be_bytes(len);
    if !(0..=1 << 20).contains(&len) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad frame length {len}"),
        ));
    }
    let mut body = vec![0u8; len as usize];
    stream.read_exact(&mut body)?;
    Ok(body)
}
