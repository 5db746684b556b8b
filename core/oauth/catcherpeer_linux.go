package oauth

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// peerIsThisUser refuses a connection to the catcher from a socket another user owns. Every
// user of the computer can reach a loopback port, and can read the authorization URL (state,
// PKCE challenge) on the browser's command line, so without this another user could sign in
// with their own account and hand the code to our catcher. The kernel lists every TCP socket
// of this network namespace, with its owner's uid, in /proc/net/tcp and /proc/net/tcp6: the
// peer's socket is the one whose local address is the connection's remote one and whose
// remote address is our end. An owner that cannot be found is refused as well.
func peerIsThisUser(r *http.Request) error {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return errors.New("the connection's local address is unknown")
	}
	ours, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return fmt.Errorf("the connection's local address %q: %w", local, err)
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return fmt.Errorf("the connection's remote address %q: %w", r.RemoteAddr, err)
	}
	uid, err := socketOwner(peer, ours)
	if err != nil {
		return err
	}
	if me := os.Getuid(); uid != me {
		return fmt.Errorf("the connection belongs to uid %d, not to uid %d", uid, me)
	}
	return nil
}

// socketOwner finds the uid owning the TCP socket with local address local and remote
// address remote: from the kernel's sock_diag lookup of that one socket, or where the kernel
// will not answer one, from /proc/net/tcp{,6}.
func socketOwner(local, remote netip.AddrPort) (int, error) {
	uid, err := diagSocketOwner(local, remote)
	if err == nil {
		return uid, nil
	}
	if errors.Is(err, syscall.ENOENT) {
		return 0, fmt.Errorf("the connection from %s is not among the kernel's sockets (already closed?)", local)
	}
	return procSocketOwner(local, remote)
}

// procSocketOwner is socketOwner from /proc/net/tcp{,6}, read line by line.
func procSocketOwner(local, remote netip.AddrPort) (int, error) {
	file := "/proc/net/tcp"
	if !local.Addr().Unmap().Is4() {
		file = "/proc/net/tcp6"
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, fmt.Errorf("cannot look up the connection's owner: %w", err)
	}
	defer f.Close()
	wantLocal, wantRemote := procNetAddr(local), procNetAddr(remote)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[1] != wantLocal || fields[2] != wantRemote {
			continue
		}
		uid, err := strconv.Atoi(fields[7])
		if err != nil {
			return 0, fmt.Errorf("cannot read the connection's owner in %s: %w", file, err)
		}
		return uid, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("cannot look up the connection's owner in %s: %w", file, err)
	}
	return 0, fmt.Errorf("the connection from %s is not in %s (already closed?)", local, file)
}

// procNetAddr writes an address as /proc/net/tcp{,6} do: the address as 32-bit words in
// the machine's byte order, each as %08X, then ":" and the port as %04X.
func procNetAddr(a netip.AddrPort) string {
	ip := a.Addr().Unmap()
	var raw []byte
	if ip.Is4() {
		b := ip.As4()
		raw = b[:]
	} else {
		b := ip.As16()
		raw = b[:]
	}
	var sb strings.Builder
	for i := 0; i < len(raw); i += 4 {
		fmt.Fprintf(&sb, "%08X", binary.NativeEndian.Uint32(raw[i:i+4]))
	}
	fmt.Fprintf(&sb, ":%04X", a.Port())
	return sb.String()
}
