package desktop

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// wipeInitialEnv overwrites, with NUL bytes, the values of the variables named in the block
// the kernel placed the process's environment in. os.Unsetenv only changes Go's (and libc's)
// copy; /proc/PID/environ reads that block, and on systems that limit ptrace (Yama) it stays
// readable to other programs of the same user that may not read our memory. Best effort: when
// the block cannot be found (no /proc), it is left as it is.
func wipeInitialEnv(names []string) {
	start, end, ok := initialEnvBlock()
	if !ok || end <= start || end-start > 1<<24 {
		return
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer mem.Close()
	block := make([]byte, end-start)
	if n, err := mem.ReadAt(block, int64(start)); err != nil || n != len(block) {
		return
	}
	off := 0
	for _, entry := range bytes.Split(block, []byte{0}) {
		for _, name := range names {
			if value, found := bytes.CutPrefix(entry, []byte(name+"=")); found && len(value) > 0 {
				at := off + len(name) + 1
				_, _ = mem.WriteAt(make([]byte, len(value)), int64(start+uint64(at)))
			}
		}
		off += len(entry) + 1
	}
}

// initialEnvBlock is env_start and env_end of /proc/self/stat (fields 50 and 51, Linux 3.5+).
func initialEnvBlock() (start, end uint64, ok bool) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces or parentheses itself.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := strings.Fields(string(data[i+1:])) // from field 3 on
	if len(fields) < 49 {
		return 0, 0, false
	}
	start, err1 := strconv.ParseUint(fields[50-3], 10, 64)
	end, err2 := strconv.ParseUint(fields[51-3], 10, 64)
	return start, end, err1 == nil && err2 == nil
}
