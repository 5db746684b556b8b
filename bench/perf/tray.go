package main

import (
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// statusNotifierWatcher owns org.kde.StatusNotifierWatcher on the bench's private session
// bus, answering as a desktop's tray host registry does (KDE's, or GNOME's AppIndicator
// extension): items may register and a host is said to be there. Nothing is drawn; it is
// what the window asks for before it offers to hide to the tray, so the hidden window can be
// measured here.
type statusNotifierWatcher struct{ conn *dbus.Conn }

const snwName, snwPath = "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher"

func (statusNotifierWatcher) RegisterStatusNotifierItem(string) *dbus.Error { return nil }
func (statusNotifierWatcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// startStatusNotifierWatcher claims the watcher's name; stop gives it up.
func startStatusNotifierWatcher() (stop func(), err error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("the session bus for a StatusNotifierWatcher: %w", err)
	}
	w := statusNotifierWatcher{conn}
	if err := conn.Export(w, snwPath, snwName); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := prop.Export(conn, snwPath, prop.Map{snwName: {
		"RegisteredStatusNotifierItems":  {Value: []string{}},
		"IsStatusNotifierHostRegistered": {Value: true},
		"ProtocolVersion":                {Value: int32(0)},
	}}); err != nil {
		conn.Close()
		return nil, err
	}
	reply, err := conn.RequestName(snwName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("cannot own %s on the session bus (reply %v): %v", snwName, reply, err)
	}
	return func() { conn.Close() }, nil
}
