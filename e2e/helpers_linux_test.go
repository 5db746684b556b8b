//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"

	"connectedapps/core/secret"
)

// The test binary re-executes itself for jobs that must run inside a desktop session of a
// window test (on that session's bus, with its keyring), chosen by helperModeEnv:
//
//	notifications      a stand-in org.freedesktop.Notifications service that writes each
//	                   Notify call as a JSON line to the file named by notifyLogEnv
//	keyring-get KEY    prints the session keyring's value for KEY
//	keyring-set KEY    stores stdin under KEY in the session keyring
//
// These run from init, before TestMain, so they never start a provider or run tests. (The
// scripted browser is the same binary again too, played by testkit.ActAsBrowser in TestMain.)
const (
	helperModeEnv = "CONNECTEDAPPS_E2E_HELPER"
	notifyLogEnv  = "CONNECTEDAPPS_E2E_NOTIFY_LOG"
)

func init() {
	mode := os.Getenv(helperModeEnv)
	if mode == "" {
		return
	}
	if err := runHelper(mode, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "e2e helper %s: %v\n", mode, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(mode string, args []string) error {
	switch mode {
	case "notifications":
		return serveNotifications(os.Getenv(notifyLogEnv))
	case "keyring-get":
		if len(args) != 1 {
			return fmt.Errorf("usage: keyring-get KEY")
		}
		v, err := secret.NewSystemStore().Get(args[0])
		if err != nil {
			return err
		}
		_, err = io.WriteString(os.Stdout, v)
		return err
	case "keyring-set":
		if len(args) != 1 {
			return fmt.Errorf("usage: keyring-set KEY <VALUE")
		}
		v, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		return secret.NewSystemStore().Set(args[0], string(v))
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// notification is one Notify call as the stand-in service recorded it.
type notification struct {
	AppName string `json:"app_name"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
	Time    string `json:"time"`
}

// notificationsServer implements the methods of org.freedesktop.Notifications that senders
// call (https://specifications.freedesktop.org/notification-spec/latest/protocol.html).
type notificationsServer struct {
	mu   sync.Mutex
	log  *os.File
	last uint32
}

func (s *notificationsServer) Notify(appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, expireTimeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line, _ := json.Marshal(notification{AppName: appName, Summary: summary, Body: body, Time: time.Now().Format(time.RFC3339Nano)})
	if _, err := s.log.Write(append(line, '\n')); err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	_ = s.log.Sync()
	if replacesID != 0 {
		return replacesID, nil
	}
	s.last++
	return s.last, nil
}

func (s *notificationsServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body"}, nil
}

func (s *notificationsServer) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "connectedapps-e2e", "connectedapps", "1", "1.2", nil
}

func (s *notificationsServer) CloseNotification(id uint32) *dbus.Error { return nil }

// serveNotifications owns org.freedesktop.Notifications on the session bus until the bus
// goes away (the session ended) or a signal comes.
func serveNotifications(logPath string) error {
	if logPath == "" {
		return fmt.Errorf("%s is not set", notifyLogEnv)
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("connecting to the session bus: %w", err)
	}
	defer conn.Close()
	const path = dbus.ObjectPath("/org/freedesktop/Notifications")
	const iface = "org.freedesktop.Notifications"
	if err := conn.Export(&notificationsServer{log: f}, path, iface); err != nil {
		return err
	}
	reply, err := conn.RequestName(iface, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting %s: %w", iface, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is already owned on this bus", iface)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-conn.Context().Done():
	case <-sig:
	}
	return nil
}
