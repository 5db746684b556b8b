package gui

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"sync"
	"unicode/utf16"

	"fyne.io/fyne/v2"
)

// Chinese text in the window's own font. Fyne draws a glyph its theme font lacks from a
// system font it finds for that one rune, and it asks for that font with no weight
// (fyne 2.7 internal/painter: dynamicFontMap.ResolveFace passes font.Aspect{}), so bold
// Chinese (a heading, the checklist's numbers' lines, a dialog's title) came out regular, and
// in the Japanese cut of Noto Sans CJK, whose shapes of some characters differ from the
// mainland ones. When the window speaks Chinese, the theme gives Noto Sans CJK SC itself (its
// Regular and its Bold: Debian's fonts-noto-cjk ships both) as the text fonts, so every
// Chinese glyph has the weight asked for and the Simplified shapes; Latin letters then come
// from the same font, which carries them. Nothing is bundled: the faces are read from the
// system's collections (.ttc) and cut out of them; a system without them keeps Fyne's fonts.

// cjkCollections are where Debian, Ubuntu and Fedora put Noto Sans CJK's collections.
var cjkCollections = map[bool][]string{
	false: {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"},
	true:  {"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"},
}

// cjkFamily is the face of the collections the window takes: the Simplified Chinese one.
const cjkFamily = "Noto Sans CJK SC"

// Each face is cut once (about a tenth of a second: the collections are 20 MB), on the first
// call; applyTheme starts both while the window is built.
var cjkFaces = map[bool]func() fyne.Resource{
	false: sync.OnceValue(func() fyne.Resource { return loadCJKFont(false) }),
	true:  sync.OnceValue(func() fyne.Resource { return loadCJKFont(true) }),
}

// cjkFont is Noto Sans CJK SC, bold or regular, as one font file; nil if the system has none.
func cjkFont(bold bool) fyne.Resource { return cjkFaces[bold]() }

func loadCJKFont(bold bool) fyne.Resource {
	for _, path := range cjkCollections[bold] {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		face, err := faceOfCollection(data, cjkFamily)
		if err != nil {
			fyne.LogError("cannot read the Chinese font "+path, err)
			continue
		}
		name := "NotoSansCJKsc-Regular.otf"
		if bold {
			name = "NotoSansCJKsc-Bold.otf"
		}
		return fyne.NewStaticResource(name, face)
	}
	return nil
}

// faceOfCollection cuts the face whose family is family out of a TrueType/OpenType
// collection: its table directory with the offsets rewritten, then each of its tables, so
// the result is a plain font file any loader reads.
func faceOfCollection(ttc []byte, family string) ([]byte, error) {
	if len(ttc) < 12 || string(ttc[:4]) != "ttcf" {
		return nil, errors.New("not a font collection")
	}
	n := int(binary.BigEndian.Uint32(ttc[8:12]))
	if n <= 0 || 12+4*n > len(ttc) {
		return nil, errors.New("a collection of no fonts")
	}
	for i := range n {
		off := int(binary.BigEndian.Uint32(ttc[12+4*i:]))
		tables, err := tablesAt(ttc, off)
		if err != nil {
			return nil, err
		}
		name, ok := tables["name"]
		if !ok || !namesFamily(name.data(ttc), family) {
			continue
		}
		return standalone(ttc, off, tables)
	}
	return nil, errors.New("no face named " + family)
}

type tableRecord struct {
	tag            string
	checksum       uint32
	offset, length int
	order          int // its place in the directory
}

func (t tableRecord) data(ttc []byte) []byte { return ttc[t.offset : t.offset+t.length] }

// tablesAt reads the table directory of the face at off.
func tablesAt(ttc []byte, off int) (map[string]tableRecord, error) {
	if off < 0 || off+12 > len(ttc) {
		return nil, errors.New("a face outside the collection")
	}
	num := int(binary.BigEndian.Uint16(ttc[off+4:]))
	if off+12+16*num > len(ttc) {
		return nil, errors.New("a table directory outside the collection")
	}
	out := map[string]tableRecord{}
	for j := range num {
		r := ttc[off+12+16*j:]
		t := tableRecord{
			tag:      string(r[:4]),
			checksum: binary.BigEndian.Uint32(r[4:]),
			offset:   int(binary.BigEndian.Uint32(r[8:])),
			length:   int(binary.BigEndian.Uint32(r[12:])),
			order:    j,
		}
		if t.offset < 0 || t.length < 0 || t.offset+t.length > len(ttc) {
			return nil, errors.New("a table outside the collection: " + t.tag)
		}
		out[t.tag] = t
	}
	return out, nil
}

// namesFamily: the name table says family (name ID 1 or 16) in one of its records.
func namesFamily(name []byte, family string) bool {
	if len(name) < 6 {
		return false
	}
	count := int(binary.BigEndian.Uint16(name[2:]))
	strings0 := int(binary.BigEndian.Uint16(name[4:]))
	for k := range count {
		rec := 6 + 12*k
		if rec+12 > len(name) {
			return false
		}
		platform := binary.BigEndian.Uint16(name[rec:])
		id := binary.BigEndian.Uint16(name[rec+6:])
		length := int(binary.BigEndian.Uint16(name[rec+8:]))
		at := strings0 + int(binary.BigEndian.Uint16(name[rec+10:]))
		if (id != 1 && id != 16) || at+length > len(name) {
			continue
		}
		raw := name[at : at+length]
		var s string
		if platform == 3 || platform == 0 { // UTF-16BE
			u := make([]uint16, len(raw)/2)
			for x := range u {
				u[x] = binary.BigEndian.Uint16(raw[2*x:])
			}
			s = string(utf16.Decode(u))
		} else {
			s = string(raw)
		}
		if strings.EqualFold(strings.TrimSpace(s), family) {
			return true
		}
	}
	return false
}

// standalone is the face at off with its tables as one font file.
func standalone(ttc []byte, off int, tables map[string]tableRecord) ([]byte, error) {
	ordered := make([]tableRecord, len(tables))
	for _, t := range tables {
		ordered[t.order] = t
	}
	head := ttc[off : off+12]
	var b bytes.Buffer
	b.Write(head)
	dataAt := 12 + 16*len(ordered)
	pad := func(n int) int { return (n + 3) &^ 3 }
	at := dataAt
	for _, t := range ordered {
		var rec [16]byte
		copy(rec[:4], t.tag)
		binary.BigEndian.PutUint32(rec[4:], t.checksum)
		binary.BigEndian.PutUint32(rec[8:], uint32(at))
		binary.BigEndian.PutUint32(rec[12:], uint32(t.length))
		b.Write(rec[:])
		at += pad(t.length)
	}
	for _, t := range ordered {
		b.Write(t.data(ttc))
		b.Write(make([]byte, pad(t.length)-t.length))
	}
	return b.Bytes(), nil
}
