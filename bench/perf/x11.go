package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// xWatch is a tiny X11 client that asks for the root window's SubstructureNotify events, so
// the moment any top-level window is mapped arrives as a MapNotify event: no polling, no
// window search. Only what that needs of the protocol is spoken (setup without
// authorisation, one ChangeWindowAttributes request, reading 32-byte events), so it brings
// no dependency and no cgo.
type xWatch struct {
	conn   net.Conn
	root   uint32
	mapped chan mapEvent
}

type mapEvent struct {
	window uint32
	at     time.Time
}

const (
	xMapNotify            = 19
	xCWEventMask          = 1 << 11
	xSubstructureNotify   = 1 << 19
	xChangeWindowAttrsReq = 2
)

// dialX connects to display ":N" over its Unix socket.
func dialX(display string) (*xWatch, error) {
	n := strings.TrimPrefix(display, ":")
	if i := strings.IndexByte(n, '.'); i >= 0 {
		n = n[:i]
	}
	conn, err := net.Dial("unix", "/tmp/.X11-unix/X"+n)
	if err != nil {
		return nil, err
	}
	// Little-endian, protocol 11.0, no authorisation (a private Xvfb accepts local clients).
	if _, err := conn.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		conn.Close()
		return nil, err
	}
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		conn.Close()
		return nil, err
	}
	data := make([]byte, int(binary.LittleEndian.Uint16(hdr[6:8]))*4)
	if _, err := io.ReadFull(conn, data); err != nil {
		conn.Close()
		return nil, err
	}
	if hdr[0] != 1 {
		conn.Close()
		return nil, fmt.Errorf("the X server refused the connection: %.*s", int(hdr[1]), data)
	}
	vendorLen := int(binary.LittleEndian.Uint16(data[16:18]))
	formats := int(data[21])
	off := 32 + (vendorLen+3)&^3 + 8*formats
	if off+4 > len(data) {
		conn.Close()
		return nil, errors.New("the X server's setup reply is too short")
	}
	w := &xWatch{conn: conn, root: binary.LittleEndian.Uint32(data[off:]), mapped: make(chan mapEvent, 16)}
	req := make([]byte, 16)
	req[0] = xChangeWindowAttrsReq
	binary.LittleEndian.PutUint16(req[2:], 4) // length in 4-byte units
	binary.LittleEndian.PutUint32(req[4:], w.root)
	binary.LittleEndian.PutUint32(req[8:], xCWEventMask)
	binary.LittleEndian.PutUint32(req[12:], xSubstructureNotify)
	if _, err := conn.Write(req); err != nil {
		conn.Close()
		return nil, err
	}
	go w.read()
	return w, nil
}

func (w *xWatch) read() {
	defer close(w.mapped)
	buf := make([]byte, 32)
	for {
		if _, err := io.ReadFull(w.conn, buf); err != nil {
			return
		}
		at := time.Now()
		switch buf[0] & 0x7f {
		case 0: // an error: ours could only be about the one request, which would show as no events
		case 1: // a reply (none expected): skip its extra data
			if extra := int(binary.LittleEndian.Uint32(buf[4:8])) * 4; extra > 0 {
				if _, err := io.CopyN(io.Discard, w.conn, int64(extra)); err != nil {
					return
				}
			}
		case xMapNotify:
			select {
			case w.mapped <- mapEvent{window: binary.LittleEndian.Uint32(buf[8:12]), at: at}:
			default:
			}
		}
	}
}

// drain forgets map events left from an earlier program.
func (w *xWatch) drain() {
	for {
		select {
		case <-w.mapped:
		default:
			return
		}
	}
}

func (w *xWatch) Close() error { return w.conn.Close() }
