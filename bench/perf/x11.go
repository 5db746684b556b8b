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
	conn     net.Conn
	root     uint32
	mapped   chan mapEvent
	unmapped chan mapEvent
}

type mapEvent struct {
	window uint32
	at     time.Time
}

const (
	xUnmapNotify          = 18
	xMapNotify            = 19
	xCWEventMask          = 1 << 11
	xSubstructureNotify   = 1 << 19
	xChangeWindowAttrsReq = 2
)

// xSetup connects to display ":N" over its Unix socket and returns the root window.
func xSetup(display string) (net.Conn, uint32, error) {
	n := strings.TrimPrefix(display, ":")
	if i := strings.IndexByte(n, '.'); i >= 0 {
		n = n[:i]
	}
	conn, err := net.Dial("unix", "/tmp/.X11-unix/X"+n)
	if err != nil {
		return nil, 0, err
	}
	// Little-endian, protocol 11.0, no authorisation (a private Xvfb accepts local clients).
	if _, err := conn.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		conn.Close()
		return nil, 0, err
	}
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		conn.Close()
		return nil, 0, err
	}
	data := make([]byte, int(binary.LittleEndian.Uint16(hdr[6:8]))*4)
	if _, err := io.ReadFull(conn, data); err != nil {
		conn.Close()
		return nil, 0, err
	}
	if hdr[0] != 1 {
		conn.Close()
		return nil, 0, fmt.Errorf("the X server refused the connection: %.*s", int(hdr[1]), data)
	}
	vendorLen := int(binary.LittleEndian.Uint16(data[16:18]))
	formats := int(data[21])
	off := 32 + (vendorLen+3)&^3 + 8*formats
	if off+4 > len(data) {
		conn.Close()
		return nil, 0, errors.New("the X server's setup reply is too short")
	}
	return conn, binary.LittleEndian.Uint32(data[off:]), nil
}

// closeXWindow asks window to close as a window manager's close button does: a
// WM_PROTOCOLS ClientMessage carrying WM_DELETE_WINDOW (ICCCM 4.2.8.1), which GLFW turns
// into Fyne's close, and so into our close intercept (hide to the tray).
func closeXWindow(display string, window uint32) error {
	conn, _, err := xSetup(display)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	atom := func(name string) (uint32, error) {
		pad := (4 - len(name)%4) % 4
		req := make([]byte, 8+len(name)+pad)
		req[0] = 16 // InternAtom, only-if-exists false
		binary.LittleEndian.PutUint16(req[2:], uint16(len(req)/4))
		binary.LittleEndian.PutUint16(req[4:], uint16(len(name)))
		copy(req[8:], name)
		if _, err := conn.Write(req); err != nil {
			return 0, err
		}
		reply := make([]byte, 32)
		if _, err := io.ReadFull(conn, reply); err != nil {
			return 0, err
		}
		if reply[0] != 1 {
			return 0, fmt.Errorf("InternAtom %s: X error %d", name, reply[1])
		}
		return binary.LittleEndian.Uint32(reply[8:]), nil
	}
	protocols, err := atom("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	deleteWindow, err := atom("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	req := make([]byte, 44)
	req[0] = 25 // SendEvent, propagate false
	binary.LittleEndian.PutUint16(req[2:], 11)
	binary.LittleEndian.PutUint32(req[4:], window)
	// event mask 0: delivered to the window's creator
	ev := req[12:]
	ev[0] = 33 // ClientMessage
	ev[1] = 32 // format
	binary.LittleEndian.PutUint32(ev[4:], window)
	binary.LittleEndian.PutUint32(ev[8:], protocols)
	binary.LittleEndian.PutUint32(ev[12:], deleteWindow)
	if _, err := conn.Write(req); err != nil {
		return err
	}
	// GetInputFocus, a request with a reply, so the SendEvent was processed when it answers.
	if _, err := conn.Write([]byte{43, 0, 1, 0}); err != nil {
		return err
	}
	reply := make([]byte, 32)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return err
	}
	if reply[0] == 0 {
		return fmt.Errorf("SendEvent WM_DELETE_WINDOW: X error %d", reply[1])
	}
	return nil
}

// dialX connects to display ":N" over its Unix socket.
func dialX(display string) (*xWatch, error) {
	conn, root, err := xSetup(display)
	if err != nil {
		return nil, err
	}
	w := &xWatch{conn: conn, root: root, mapped: make(chan mapEvent, 16), unmapped: make(chan mapEvent, 16)}
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
		case xUnmapNotify:
			select {
			case w.unmapped <- mapEvent{window: binary.LittleEndian.Uint32(buf[8:12]), at: at}:
			default:
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
		case <-w.unmapped:
		default:
			return
		}
	}
}

func (w *xWatch) Close() error { return w.conn.Close() }
