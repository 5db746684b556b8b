package oauth

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"time"
)

// sock_diag (linux/sock_diag.h, linux/inet_diag.h): the kernel's own lookup of one socket by
// its addresses and ports, answered without listing the others.
const (
	netlinkInetDiag   = 4  // NETLINK_INET_DIAG (NETLINK_SOCK_DIAG)
	sockDiagByFamily  = 20 // SOCK_DIAG_BY_FAMILY
	inetDiagReqLen    = 16 + 56
	inetDiagMsgUIDOff = 16 + 4 + 48 + 12 // nlmsghdr, family..retrans, sockid, expires..wqueue
)

// errNoDiag says the kernel would not answer a sock_diag lookup (no inet_diag, a sandbox
// refusing netlink); socketOwner then reads /proc/net/tcp as before.
var errNoDiag = errors.New("sock_diag is not available")

// diagSocketOwner asks the kernel over sock_diag for the uid owning the TCP socket with
// local address local and remote address remote: the same kernel record /proc/net/tcp
// prints, found by its four-tuple instead of by reading every socket of the namespace
// (nearly a thousand lines on a busy machine, milliseconds per callback). Any failure of
// the lookup itself is errNoDiag; a socket the kernel does not have is ENOENT.
func diagSocketOwner(local, remote netip.AddrPort) (int, error) {
	family := syscall.AF_INET6
	if local.Addr().Unmap().Is4() && remote.Addr().Unmap().Is4() {
		family = syscall.AF_INET
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkInetDiag)
	if err != nil {
		return 0, errNoDiag
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(int64(time.Second))
	if syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv) != nil {
		return 0, errNoDiag
	}
	req := make([]byte, inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], inetDiagReqLen)
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence
	r := req[16:]
	r[0], r[1] = byte(family), syscall.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xFFFFFFFF) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	putDiagAddr(id[4:20], local.Addr(), family)
	putDiagAddr(id[20:36], remote.Addr(), family)
	ne.PutUint32(id[40:], 0xFFFFFFFF) // INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], 0xFFFFFFFF)
	if syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}) != nil {
		return 0, errNoDiag
	}
	buf := make([]byte, 4096)
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil || n < 16 {
		return 0, errNoDiag
	}
	buf = buf[:n]
	switch ne.Uint16(buf[4:]) {
	case syscall.NLMSG_ERROR:
		if n >= 20 && int32(ne.Uint32(buf[16:])) == -int32(syscall.ENOENT) {
			return 0, syscall.ENOENT
		}
		return 0, errNoDiag
	case sockDiagByFamily:
		if n < inetDiagMsgUIDOff+4 || ne.Uint32(buf[8:]) != 1 {
			return 0, errNoDiag
		}
		return int(ne.Uint32(buf[inetDiagMsgUIDOff:])), nil
	}
	return 0, errNoDiag
}

// putDiagAddr writes a as inet_diag_sockid holds it: network byte order, an IPv4 address in
// the first word for AF_INET, an IPv4-mapped IPv6 address for AF_INET6.
func putDiagAddr(dst []byte, a netip.Addr, family int) {
	if family == syscall.AF_INET {
		b := a.Unmap().As4()
		copy(dst, b[:])
		return
	}
	b := a.As16()
	copy(dst, b[:])
}
