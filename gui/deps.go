package gui

import (
	"context"
	"encoding/json"
	"time"

	"fyne.io/fyne/v2"

	"connectedapps/core"
)

// appService is what the window asks of core: *core.Service in production, a fake in tests
// that need to script a sign-in's success or failure.
type appService interface {
	List() ([]core.App, error)
	Get(name string) (core.App, error)
	Add(app core.App, secret *string) (core.App, error)
	AddRegistered(ctx context.Context, app core.App, initialAccessToken string) (core.App, error)
	RegisterExisting(ctx context.Context, name, initialAccessToken string) (core.RegisterResult, error)
	Edit(ctx context.Context, name string, change func(*core.App) error, secret core.SecretChange) (core.EditResult, error)
	Remove(ctx context.Context, name string, localOnly bool) error
	Discover(ctx context.Context, rawURL, expectedIssuer string) (*core.ProviderMetadata, error)
	Connect(ctx context.Context, name string, opts core.ConnectOptions) (*core.ConnectResult, error)
	Token(ctx context.Context, name string, minValid time.Duration) (*core.TokenSet, error)
	Refresh(ctx context.Context, name string) (*core.TokenSet, error)
	Disconnect(ctx context.Context, name string, localOnly bool) (core.DisconnectResult, error)
	Userinfo(ctx context.Context, name string) (json.RawMessage, error)
	Introspect(ctx context.Context, name string) (json.RawMessage, error)
	InspectFor(ctx context.Context, name, account string) (*core.Inspection, error)
	// The same, for one account of the app (email, subject or ID; "" the default).
	TokenFor(ctx context.Context, name, account string, minValid time.Duration) (*core.TokenSet, error)
	RefreshFor(ctx context.Context, name, account string) (*core.TokenSet, error)
	DisconnectFor(ctx context.Context, name, account string, localOnly bool) (core.DisconnectResult, error)
	UserinfoFor(ctx context.Context, name, account string) (json.RawMessage, error)
	IntrospectFor(ctx context.Context, name, account string) (json.RawMessage, error)
	SetDefaultAccount(name, account string) (core.App, error)
	ImportWith(ctx context.Context, data []byte, choices []core.ImportChoice) ([]core.ImportResult, error)
	Export(names ...string) ([]byte, error)
	RegistryPath() string
	Clock() time.Time
}

var _ appService = (*core.Service)(nil)

// Notifier shows a desktop notification. Production sends it through fyne.App (the
// freedesktop Notifications service on Linux); tests record what would have been shown.
type Notifier interface {
	Notify(title, body string)
}

type fyneNotifier struct{ app fyne.App }

func (n fyneNotifier) Notify(title, body string) {
	n.app.SendNotification(fyne.NewNotification(title, body))
}

// env is what every screen of the window shares: the app, the service, the desktop around
// them, and the seams a test replaces. The seams are fields rather than package variables, so
// each test's window has its own and no test changes what another one runs.
type env struct {
	app      fyne.App
	svc      appService
	browser  core.Browser
	notifier Notifier
	vault    *vaultUnlock // the vault's passphrase dialog; nil unless the secrets are in a locked vault

	// goAsync runs work that may block (registry, keyring, network) off the UI goroutine; nil
	// is a goroutine of its own. Tests make it a direct call, because Fyne's test driver runs
	// fyne.Do on the calling goroutine and a real background goroutine would race with the
	// test's assertions.
	goAsync func(func())
	// ticker calls f on the UI goroutine once a second until stop is called; nil is
	// tickEverySecond. Tests fire the ticks themselves (Fyne's test driver would run f on the
	// ticker's goroutine).
	ticker func(f func()) (stop func())
	// trayAvailable says whether the desktop offers a tray; nil asks D-Bus
	// (hasStatusNotifierWatcher).
	trayAvailable func() bool
}

// runAsync runs f off the UI goroutine (or as the test asked: see goAsync).
func (e *env) runAsync(f func()) {
	if e.goAsync != nil {
		e.goAsync(f)
		return
	}
	go f()
}

// everySecond starts the countdown ticker (see ticker).
func (e *env) everySecond(f func()) (stop func()) {
	if e.ticker != nil {
		return e.ticker(f)
	}
	return tickEverySecond(f)
}

// hasTray says whether a tray icon would be shown (see trayAvailable).
func (e *env) hasTray() bool {
	if e.trayAvailable != nil {
		return e.trayAvailable()
	}
	return hasStatusNotifierWatcher()
}
