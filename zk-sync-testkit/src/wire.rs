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
    match attach_and_close(addr, 0, &[0u8; 16])? {
        Attach::Closed => Ok(()),
        Attach::Gone => Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "server refused the session",
        )),
    }
}

/// What [`attach_and_close`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attach {
    /// The server does not know the session (expired or closed): it answered with timeout 0.
    Gone,
    /// The session was attached to this connection and closed by a CloseSession request.
    Closed,
}

/// Sends a ConnectRequest for `session_id` (0 for a new session) and, in the same write, a
/// CloseSession request, then reads both replies.
///
/// Pipelining the close matters when re-attaching to a live session: the server moves the
/// session to this connection, and the session's own client reconnects within a millisecond or
/// so, moving it back; with the CloseSession already queued behind the ConnectRequest, the
/// server reads it before that reconnect gets through.
pub(crate) fn attach_and_close(
    addr: SocketAddr,
    session_id: i64,
    password: &[u8],
) -> io::Result<Attach> {
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;

    // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly.
    let mut connect = Vec::with_capacity(45);
    connect.extend_from_slice(&0i32.to_be_bytes());
    connect.extend_from_slice(&0i64.to_be_bytes());
    connect.extend_from_slice(&4000i32.to_be_bytes());
    connect.extend_from_slice(&session_id.to_be_bytes());
    let password_len =
        i32::try_from(password.len()).map_err(|_| io::Error::other("password too long"))?;
    connect.extend_from_slice(&password_len.to_be_bytes());
    connect.extend_from_slice(password);
    connect.push(0);
    // RequestHeader { xid: 1, type: CloseSession (-11) }.
    let mut close = Vec::with_capacity(8);
    close.extend_from_slice(&CLOSE_XID.to_be_bytes());
    close.extend_from_slice(&(-11i32).to_be_bytes());
    let mut frames = frame(&connect)?;
    frames.extend_from_slice(&frame(&close)?);
    stream.write_all(&frames)?;

    // ConnectResponse: protocolVersion, timeOut, sessionId, passwd, readOnly.
    let reply = read_frame(&mut stream)?;
    if reply.len() < 16 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "short ConnectResponse",
        ));
    }
    let timeout = i32::from_be_bytes(reply[4..8].try_into().expect("4 bytes"));
    let granted = i64::from_be_bytes(reply[8..16].try_into().expect("8 bytes"));
    if timeout <= 0 || granted == 0 {
        return Ok(Attach::Gone);
    }
    // ReplyHeader: xid, zxid, err. Skip anything else (e.g. watch events, xid -1).
    loop {
        let reply = read_frame(&mut stream)?;
        if reply.len() >= 4
            && i32::from_be_bytes(reply[0..4].try_into().expect("4 bytes")) == CLOSE_XID
        {
            return Ok(Attach::Closed);
        }
    }
}

const CLOSE_XID: i32 = 1;

/// Reads the first ConnectRequest a client sends on `stream` and returns `(sessionId, passwd)`.
pub(crate) fn read_connect_request(stream: &mut TcpStream) -> io::Result<(i64, Vec<u8>)> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let body = read_frame(stream)?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed ConnectRequest");
    // protocolVersion (4), lastZxidSeen (8), timeOut (4), sessionId (8), passwd length (4).
    let session_id = i64::from_be_bytes(
        body.get(16..24)
            .ok_or_else(bad)?
            .try_into()
            .expect("8 bytes"),
    );
    let len = i32::from_be_bytes(
        body.get(24..28)
            .ok_or_else(bad)?
            .try_into()
            .expect("4 bytes"),
    );
    let len = usize::try_from(len).map_err(|_| bad())?;
    let password = body.get(28..28 + len).ok_or_else(bad)?.to_vec();
    Ok((session_id, password))
}

/// The session a server granted in a ConnectResponse frame (its body, without the length):
/// `(sessionId, passwd)`, or `None` when it refused the session (timeout 0) or the frame is
/// malformed.
pub(crate) fn granted_session(body: &[u8]) -> Option<(i64, Vec<u8>)> {
    // protocolVersion (4), timeOut (4), sessionId (8), passwd length (4), passwd.
    let timeout = i32::from_be_bytes(body.get(4..8)?.try_into().ok()?);
    let session_id = i64::from_be_bytes(body.get(8..16)?.try_into().ok()?);
    let len = usize::try_from(i32::from_be_bytes(body.get(16..20)?.try_into().ok()?)).ok()?;
    let password = body.get(20..20 + len)?.to_vec();
    (timeout > 0 && session_id != 0).then_some((session_id, password))
}

fn frame(body: &[u8]) -> io::Result<Vec<u8>> {
    let len = i32::try_from(body.len()).map_err(|_| io::Error::other("frame too large"))?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    Ok(frame)
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
