package secret

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ChunkedStore splits values larger than Limit bytes across several entries. The entry under
// the key then holds an index naming a generation and a piece count; a rewrite writes the new
// generation's pieces first and switches the index last, so a crash leaves the old value or
// the new one, never a mix. Stale pieces are removed afterwards.
type ChunkedStore struct {
	inner Store
	limit int // 0: never split
}

const chunkIndexPrefix = "connectedapps-chunked:v1:"

// NewChunkedStore wraps inner; limit 0 stores every value whole.
func NewChunkedStore(inner Store, limit int) *ChunkedStore {
	return &ChunkedStore{inner: inner, limit: limit}
}

// Prepare readies the store underneath.
func (c *ChunkedStore) Prepare() { Prepare(c.inner) }

// Probe asks the store underneath about key's entry (its pieces are in the same store).
func (c *ChunkedStore) Probe(key string) error { return Probe(c.inner, key) }

func (c *ChunkedStore) Get(key string) (string, error) {
	v, err := c.inner.Get(key)
	if err != nil {
		return "", err
	}
	gen, n, ok := parseChunkIndex(v)
	if !ok {
		return v, nil
	}
	var b strings.Builder
	for i := range n {
		piece, err := c.inner.Get(chunkKey(key, gen, i))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return "", failf(ErrNotFound, "keyring entry %q is missing piece %d of %d", key, i+1, n)
			}
			return "", err
		}
		b.WriteString(piece)
	}
	return b.String(), nil
}

func (c *ChunkedStore) Set(key, value string) error {
	old, note, err := c.readWithNote(key)
	if err != nil {
		return err
	}
	oldGen, oldN, oldChunked := parseChunkIndex(old)
	c.removeNoted(key, note, oldGen)
	split := strings.HasPrefix(value, chunkIndexPrefix) || (c.limit > 0 && len(value) > c.limit)
	var gen string
	var pieces []string
	var atRisk []pieceSet // what a crash during this write would leave unreachable
	if split {
		gen = randomHex(4)
		for oldChunked && gen == oldGen {
			gen = randomHex(4)
		}
		pieces = splitUTF8(value, c.pieceSize(len(value)))
		atRisk = append(atRisk, pieceSet{gen, len(pieces)})
	}
	if oldChunked {
		atRisk = append(atRisk, pieceSet{oldGen, oldN})
	}
	// Written down before any piece, so the next write finds what a crash here left behind:
	// the keyring cannot be listed on every platform.
	if len(atRisk) > 0 {
		if err := c.inner.Set(pendingKey(key), formatPieceSets(atRisk)); err != nil {
			return err
		}
	}
	if !split {
		if err := c.inner.Set(key, value); err != nil {
			c.forgetPending(key, atRisk)
			return err
		}
		reachCrashPoint("value-written", key)
	} else {
		for i, p := range pieces {
			if err := c.inner.Set(chunkKey(key, gen, i), p); err != nil {
				c.deletePieces(key, gen, i+1)
				c.forgetPending(key, atRisk)
				return err
			}
			reachCrashPoint("piece-written", chunkKey(key, gen, i))
		}
		if err := c.inner.Set(key, chunkIndexPrefix+gen+":"+strconv.Itoa(len(pieces))); err != nil {
			c.deletePieces(key, gen, len(pieces))
			c.forgetPending(key, atRisk)
			return err
		}
		reachCrashPoint("index-written", key)
	}
	if oldChunked {
		c.deletePieces(key, oldGen, oldN)
	}
	c.forgetPending(key, atRisk)
	return nil
}

func (c *ChunkedStore) Delete(key string) error {
	old, err := c.inner.Get(key)
	if errors.Is(err, ErrNotFound) {
		c.removeOrphans(key, "")
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.inner.Delete(key); err != nil {
		return err
	}
	if gen, n, ok := parseChunkIndex(old); ok {
		c.deletePieces(key, gen, n)
	}
	c.removeOrphans(key, "")
	return nil
}

// manyGetter is a store that reads several entries in one exchange (the keyring: in the round
// trips of one read).
type manyGetter interface {
	GetMany(keys []string) (values []string, found []bool, err error)
}

// readWithNote reads key's value and its pending note ("" for either that is missing),
// together where the store can: a write reads both, and on the keyring every read is a
// D-Bus round trip or two.
func (c *ChunkedStore) readWithNote(key string) (value, note string, err error) {
	if m, ok := c.inner.(manyGetter); ok {
		values, _, err := m.GetMany([]string{key, pendingKey(key)})
		if err != nil {
			return "", "", err
		}
		return values[0], values[1], nil
	}
	if value, err = c.inner.Get(key); err != nil && !errors.Is(err, ErrNotFound) {
		return "", "", err
	}
	if note, err = c.inner.Get(pendingKey(key)); err != nil && !errors.Is(err, ErrNotFound) {
		note = "" // best effort, as removeOrphans: the write goes on
	}
	return value, note, nil
}

// pieceSet names the pieces of one generation of a split value.
type pieceSet struct {
	gen string
	n   int
}

// pendingKey is the entry a write of a split value notes its generations in while it runs; it
// is removed when the write is done, so one still there means a writer died midway.
func pendingKey(key string) string { return key + "#pending" }

func formatPieceSets(sets []pieceSet) string {
	parts := make([]string, len(sets))
	for i, p := range sets {
		parts[i] = p.gen + ":" + strconv.Itoa(p.n)
	}
	return strings.Join(parts, ",")
}

func parsePieceSets(v string) []pieceSet {
	var out []pieceSet
	for _, part := range strings.Split(v, ",") {
		gen, count, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(count)
		if !ok || err != nil || gen == "" || n <= 0 || n > 10000 {
			continue
		}
		out = append(out, pieceSet{gen, n})
	}
	return out
}

// removeOrphans deletes the pieces a dead writer of key left behind (every generation its
// note names but the one the index names now, current) and then the note. Best effort, as for
// deletePieces: an orphan is unreachable, never read as the value.
func (c *ChunkedStore) removeOrphans(key, current string) {
	if note, err := c.inner.Get(pendingKey(key)); err == nil {
		c.removeNoted(key, note, current)
	}
}

// removeNoted is removeOrphans with the note already read ("" when there is none).
func (c *ChunkedStore) removeNoted(key, note, current string) {
	if note == "" {
		return
	}
	for _, p := range parsePieceSets(note) {
		if p.gen != current {
			c.deletePieces(key, p.gen, p.n)
		}
	}
	_ = c.inner.Delete(pendingKey(key))
}

// forgetPending removes the note once no piece it names can be left behind by this write.
func (c *ChunkedStore) forgetPending(key string, noted []pieceSet) {
	if len(noted) > 0 {
		_ = c.inner.Delete(pendingKey(key))
	}
}

// pieceSize is the platform limit (which is on the value alone); without a limit a value is
// split only because it looks like an index, and one piece suffices.
func (c *ChunkedStore) pieceSize(valueLen int) int {
	if c.limit <= 0 {
		return max(valueLen, 1)
	}
	return max(c.limit, 4)
}

// deletePieces is best effort: a leftover piece is unreachable garbage, not a wrong value.
func (c *ChunkedStore) deletePieces(key, gen string, n int) {
	for i := range n {
		_ = c.inner.Delete(chunkKey(key, gen, i))
	}
}

func chunkKey(key, gen string, i int) string {
	return key + "#" + gen + "#" + strconv.Itoa(i)
}

func parseChunkIndex(v string) (gen string, n int, ok bool) {
	rest, found := strings.CutPrefix(v, chunkIndexPrefix)
	if !found {
		return "", 0, false
	}
	gen, count, found := strings.Cut(rest, ":")
	if !found {
		return "", 0, false
	}
	n, err := strconv.Atoi(count)
	if err != nil || n <= 0 || n > 10000 {
		return "", 0, false
	}
	return gen, n, true
}

// splitUTF8 cuts s into pieces of at most size bytes without splitting a character.
func splitUTF8(s string, size int) []string {
	var out []string
	for len(s) > size {
		cut := size
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = size
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// crashPoint, when set (only by tests), is called at the points of a ChunkedStore write where a
// process killed there must still leave the old value or the new one: the tests block the
// process there and SIGKILL it. Nil in production. (The points of a file write are
// fsutil.CrashPoint.)
var crashPoint func(point, detail string)

func reachCrashPoint(point, detail string) {
	if crashPoint != nil {
		crashPoint(point, detail)
	}
}
