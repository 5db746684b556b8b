package secret

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"al.essio.dev/pkg/shellescape"
)

// go-keyring v0.2.6 on macOS (keyring_darwin.go) writes a value by sending /usr/bin/security
// -i one line, "add-generic-password -U -s SERVICE -a KEY -w 'go-keyring-base64:BASE64'\n",
// and refuses it as too big above 4,096 bytes. This builds that line as it does, for a piece
// at the darwin limit, of the longest character (UTF-8 is split only between characters, so a
// piece may be up to 3 bytes short of the limit but never over), under a long key: it fits.
// It runs on every system, since macOS's keychain is not here to ask.
func TestDarwinPieceFitsTheSecurityCommand(t *testing.T) {
	const limit = 2560 // PlatformSecretLimit() on darwin
	if runtime.GOOS == "darwin" && PlatformSecretLimit() != limit {
		t.Fatalf("PlatformSecretLimit() = %d on macOS; this test checks %d", PlatformSecretLimit(), limit)
	}
	key := "app/" + strings.Repeat("f", 16) + "/client_secret"
	piece := chunkKey(key, randomHex(4), 9999)  // the longest key a piece gets
	longKey := piece + strings.Repeat("k", 400) // and room to spare
	value := strings.Repeat("\xff", limit)      // base64 grows every byte alike
	password := "go-keyring-base64:" + base64.StdEncoding.EncodeToString([]byte(value))
	command := fmt.Sprintf("add-generic-password -U -s %s -a %s -w %s\n",
		shellescape.Quote(KeyringService), shellescape.Quote(longKey), shellescape.Quote(password))
	if len(command) > 4096 {
		t.Fatalf("a %d-byte piece under a %d-byte key makes a %d-byte security command; go-keyring refuses over 4,096", limit, len(longKey), len(command))
	}
	// The old limit, 3,000 bytes, did not fit under the key of a real app's piece.
	old := "go-keyring-base64:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 3000)))
	if n := len(fmt.Sprintf("add-generic-password -U -s %s -a %s -w %s\n", KeyringService, shellescape.Quote(piece), shellescape.Quote(old))); n <= 4096 {
		t.Fatalf("3,000 bytes under %s make a %d-byte command: the test no longer shows why the limit moved", piece, n)
	}
}
