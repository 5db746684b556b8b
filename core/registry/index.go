package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"connectedapps/core/app"
	"connectedapps/internal/fsutil"
)

// apps.index lets Find (what every `token` does) decode one app instead of the whole registry:
// with 1,000 apps, parsing apps.json was most of a cached `token`'s time. It is a cache and
// never the truth: it holds the SHA-256 of the apps.json it describes, and is used only when
// the file read now has that very hash, so an apps.json edited by hand or by an older build, a
// crash between the two renames, or two writers racing can only make it stale, and a stale or
// unreadable index means the full parse, as before (which reports a corrupt file as before).
// It is written only under the registry lock, after apps.json, by the same atomic rename.
const indexName = "apps.index"

const indexMagic = "apps.index format 1"

type indexEntry struct {
	start, end int
	id, name   string
}

func (r *Registry) indexPath() string { return filepath.Join(r.dir, indexName) }

// buildIndex lists where each of apps (decoded from data, in order) sits in data.
func buildIndex(data []byte, apps []app.App) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("index: apps.json does not start with an object")
	}
	var entries []indexEntry
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key != "apps" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil, fmt.Errorf("index: apps is not a list")
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, err
			}
			end := int(dec.InputOffset())
			start := end - len(raw)
			if start < 0 || !bytes.Equal(data[start:end], raw) {
				return nil, fmt.Errorf("index: cannot place app %d", len(entries))
			}
			entries = append(entries, indexEntry{start: start, end: end})
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
	}
	if len(entries) != len(apps) {
		return nil, fmt.Errorf("index: %d apps placed, %d decoded", len(entries), len(apps))
	}
	sum := sha256.Sum256(data)
	var b strings.Builder
	b.WriteString(indexMagic + "\n" + hex.EncodeToString(sum[:]) + "\n")
	for i, e := range entries {
		fmt.Fprintf(&b, "%d %d %s %s\n", e.start, e.end, strconv.Quote(apps[i].ID), strconv.Quote(apps[i].ProviderName))
	}
	return []byte(b.String()), nil
}

// writeIndex replaces apps.index for data, which was just written as apps.json under the lock.
// A failure removes the old index (which would be stale now, and so unused anyway) and is
// otherwise ignored: apps.json is written, and Find falls back to parsing it.
func (r *Registry) writeIndex(data []byte, apps []app.App) {
	idx, err := buildIndex(data, apps)
	if err == nil {
		err = fsutil.WriteLockedCacheAtomic(r.indexPath(), idx) // checked by its hash at every read
	}
	if err != nil {
		_ = os.Remove(r.indexPath())
	}
}

// findIndexed is Find through apps.index on data, apps.json's content as read now. ok is
// false when the index is missing, unreadable, or not for data: the caller parses data.
func (r *Registry) findIndexed(data []byte, nameOrID string) (a app.App, found, ok bool) {
	idx, err := os.ReadFile(r.indexPath())
	if err != nil {
		return app.App{}, false, false
	}
	lines := strings.Split(strings.TrimSuffix(string(idx), "\n"), "\n")
	sum := sha256.Sum256(data)
	if len(lines) < 2 || lines[0] != indexMagic || lines[1] != hex.EncodeToString(sum[:]) {
		return app.App{}, false, false
	}
	entries := make([]indexEntry, 0, len(lines)-2)
	for _, line := range lines[2:] {
		e, ok := parseIndexLine(line, len(data))
		if !ok {
			return app.App{}, false, false
		}
		entries = append(entries, e)
	}
	pick := -1
	for i := range entries {
		if strings.EqualFold(entries[i].name, nameOrID) {
			pick = i
			break
		}
	}
	if pick < 0 {
		for i := range entries {
			if entries[i].id == nameOrID {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		return app.App{}, false, true
	}
	e := entries[pick]
	if err := json.Unmarshal(data[e.start:e.end], &a); err != nil || a.ID != e.id || a.ProviderName != e.name {
		return app.App{}, false, false
	}
	a.UpgradeLegacy()
	return a, true, true
}

func parseIndexLine(line string, size int) (indexEntry, bool) {
	startS, rest, ok1 := strings.Cut(line, " ")
	endS, rest, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return indexEntry{}, false
	}
	start, err1 := strconv.Atoi(startS)
	end, err2 := strconv.Atoi(endS)
	if err1 != nil || err2 != nil || start < 0 || end < start || end > size {
		return indexEntry{}, false
	}
	id, err := strconv.QuotedPrefix(rest)
	if err != nil || len(rest) <= len(id) || rest[len(id)] != ' ' {
		return indexEntry{}, false
	}
	name := rest[len(id)+1:]
	idU, err1 := strconv.Unquote(id)
	nameU, err2 := strconv.Unquote(name)
	if err1 != nil || err2 != nil {
		return indexEntry{}, false
	}
	return indexEntry{start: start, end: end, id: idU, name: nameU}, true
}
