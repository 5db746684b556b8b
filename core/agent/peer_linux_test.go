package agent

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/internal/testproc"
)

// dialAsEnv makes this test binary, run as nobody with a socket path in it, the other local
// user: it connects, asks for a token and prints what came back.
const dialAsEnv = "CONNECTEDAPPS_AGENT_TEST_DIAL"

const nobodyUID = 65534

func init() {
	sock := os.Getenv(dialAsEnv)
	if sock == "" {
		return
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(0)
	}
	fmt.Fprintf(conn, `{"v":%d,"op":"token","name":"Machine"}`+"\n", Version)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fmt.Println("closed:", err)
	} else {
		fmt.Println("answer:", line)
	}
	os.Exit(0)
}

// Issue 11: a second local user who can reach the socket (its folder and mode opened here on
// purpose, as a mistake or another program might) gets nothing: the agent reads the peer's
// uid from the kernel (SO_PEERCRED), closes the connection unanswered and logs one line.
func TestAnotherUserIsRefusedByPeerCredentials(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to connect as the user nobody")
	}
	// A chroot whose root was made by mktemp (mode 0700) cannot run a program as another user.
	testproc.SkipUnlessOthersCanEnter(t, os.TempDir())
	f := newFixture(t)
	// Our own client is answered (the token is fetched once, so nobody's could only be refused).
	if _, _, err := dial(t, f).Token(context.Background(), "Machine", core.DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	sock := f.srv.Socket()
	for _, p := range []string{os.Getenv("XDG_RUNTIME_DIR"), filepath.Dir(sock)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := os.MkdirTemp("", "agent-other-user")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(binDir)
	bin := filepath.Join(binDir, "other")
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Dir = binDir
	cmd.Env = []string{dialAsEnv + "=" + sock, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the other user's client: %v: %s", err, out)
	}
	if got := string(out); !strings.HasPrefix(got, "closed:") {
		t.Fatalf("uid %d connecting to the agent got %q; want the connection closed unanswered", nobodyUID, got)
	}
	log := f.log()
	if want := fmt.Sprintf("refused a connection from uid %d", nobodyUID); !strings.Contains(log, want) || strings.Count(log, "\n") != 0 {
		t.Fatalf("agent log %q; want one line with %q", log, want)
	}
	if strings.Contains(log, "at-1") || strings.Contains(log, "s3cret") {
		t.Fatalf("the log holds a secret: %q", log)
	}
	if st, err := dial(t, f).Status(context.Background()); err != nil || st.Refused != 1 {
		t.Fatalf("status after the refusal: %+v %v", st, err)
	}
}
