package agent

import (
	"net"
	"os"
	"syscall"
)

// supported: the peer's user is known from SO_PEERCRED, so the agent can refuse other users.
const supported = true

// peerCred is the user and process at the other end of conn, as the kernel recorded them
// when the connection was made (SO_PEERCRED): nothing the peer says can change them.
func peerCred(conn *net.UnixConn) (uid uint32, pid int32, err error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var cred *syscall.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, 0, err
	}
	if serr != nil {
		return 0, 0, serr
	}
	return cred.Uid, cred.Pid, nil
}

// fileID tells two versions of a file apart: an atomic write makes a new inode, and any
// write moves the modification and change times (nanoseconds).
type fileID struct {
	exists       bool
	ino          uint64
	size         int64
	mtime, ctime int64
}

func idOf(path string) fileID {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}
	}
	id := fileID{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.ino, id.ctime = st.Ino, st.Ctim.Nano()
	}
	return id
}

// ownerOf is the user owning fi.
func ownerOf(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
