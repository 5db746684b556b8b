package gui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"connectedapps/core"
	"connectedapps/core/secret"
)

// withRefreshToken makes name's connection hold a refresh token issued (and last used) ago,
// and its app one of the preset's provider.
func withRefreshToken(t *testing.T, svc *core.Service, name, preset string, issuedAgo, usedAgo time.Duration) {
	t.Helper()
	app, err := svc.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Registry.UpdateApp(app.ID, func(a *core.App) error {
		a.Preset = preset
		a.Connection().RefreshTokenIssuedAt = at(-issuedAgo)
		if usedAgo > 0 {
			a.Connection().RefreshTokenUsedAt = at(-usedAgo)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// shownLabel is the last visible label whose text contains s.
func shownLabel(t *testing.T, w *mainWindow, s string) *widget.Label {
	t.Helper()
	var found *widget.Label
	for _, l := range shownLabels(w) {
		if strings.Contains(l.Text, s) {
			found = l
		}
	}
	if found == nil {
		t.Fatalf("no visible label says %q; the window shows %q", s, shownTexts(w))
	}
	return found
}

// The Connection tab says when the refresh token ends, the provider's rule and what to do;
// the list's row carries the warning; an app of an unknown provider gets neither.
func TestTokenPanelAndListWarnOfARefreshTokenLimit(t *testing.T) {
	svc := newTestService(t)
	day := 24 * time.Hour
	addConnectedApp(t, svc, "Mail", nil, connectedFor(50*time.Minute))
	withRefreshToken(t, svc, "Mail", "google", 5*day+time.Hour, 0)
	addConnectedApp(t, svc, "Outlook", nil, connectedFor(50*time.Minute))
	withRefreshToken(t, svc, "Outlook", "microsoft", 120*day, 95*day)
	addConnectedApp(t, svc, "Elsewhere", nil, connectedFor(50*time.Minute))
	withRefreshToken(t, svc, "Elsewhere", "", 400*day, 400*day)

	w := openConnectionTab(t, svc, "Mail")
	// The list: the state, then the warning, as a warning.
	assertShown(t, w, "Connected · expires in 50 min · refresh token ends in 47 h if in Testing",
		"Connected · expires in 50 min · refresh token probably gone", "Connected · expires in 50 min")
	row := shownLabel(t, w, "refresh token ends in 47 h if in Testing")
	if row.Importance != widget.WarningImportance {
		t.Errorf("the list row's importance is %v; want a warning", row.Importance)
	}
	// The Connection tab: the date, the rule, the condition and the remedies.
	line := shownLabel(t, w, "Google ends refresh tokens 7 days after issue while the app is in Testing mode")
	for _, want := range []string{"If the app is in Testing mode, it ends ", ", in 47 h: ",
		"To keep it: publish the app at the provider (Google: OAuth consent screen, Publish app), then set its publishing status to In production",
		"; or sign in again with Connect."} {
		if !strings.Contains(line.Text, want) {
			t.Errorf("the Connection tab's line %q lacks %q", line.Text, want)
		}
	}
	if line.Importance != widget.WarningImportance {
		t.Errorf("the line's importance is %v; want a warning", line.Importance)
	}

	selectApp(t, w, "Outlook")
	gone := shownLabel(t, w, "Probably gone since ")
	if !strings.Contains(gone.Text, "Microsoft Entra ID ends refresh tokens unused for 90 days") || !strings.Contains(gone.Text, "To keep it: sign in again with Connect.") ||
		gone.Importance != widget.DangerImportance {
		t.Errorf("Outlook's line: %q (%v)", gone.Text, gone.Importance)
	}

	selectApp(t, w, "Elsewhere") // its row says the state only (above); its tab nothing of a limit
	assertNotShown(t, w, "ends refresh tokens")

	// Saying the Google app is in production takes the warning away.
	app, _ := svc.Get("Mail")
	if _, err := svc.Edit(context.Background(), "Mail", func(a *core.App) error { a.PublishingStatus = core.PublishingProduction; return nil }, core.KeepSecret()); err != nil {
		t.Fatal(err)
	}
	w.registry.reload()
	selectApp(t, w, app.ProviderName)
	assertNotShown(t, w, "ends refresh tokens")
	assertNotShown(t, w, "refresh token ends")
}

// The form's publishing status is read from and saved into the document.
func TestFormSavesThePublishingStatus(t *testing.T) {
	svc := newTestService(t)
	addApp(t, svc, "Mail", nil)
	w := openWindow(t, svc)
	selectApp(t, w, "Mail")
	if got := w.form.publishing.Selected; got != choiceLabel(publishingStatuses(), core.PublishingUnknown) {
		t.Fatalf("a new app's publishing status shows %q", got)
	}
	w.form.publishing.SetSelected(choiceLabel(publishingStatuses(), core.PublishingTesting))
	w.form.onSave()
	saved, err := svc.Get("Mail")
	if err != nil || saved.PublishingStatus != core.PublishingTesting {
		t.Fatalf("saved publishing status %q (%v); want testing", saved.PublishingStatus, err)
	}
}

// The background refresher's warning is one desktop notification per limit: not one per
// tick, and one more when the limit has passed.
func TestBackgroundRefreshNotifiesOfARefreshTokenLimitOnce(t *testing.T) {
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc := serviceOn(t, t.TempDir(), secret.NewMemoryStore(), clock)
	day := 24 * time.Hour
	addConnectedApp(t, svc, "Mail", nil, connectedFor(30*day)) // no refresh is due meanwhile
	withRefreshToken(t, svc, "Mail", "google", 5*day, 0)
	addConnectedApp(t, svc, "Elsewhere", nil, connectedFor(30*day))
	withRefreshToken(t, svc, "Elsewhere", "", 400*day, 0)
	w := openWindow(t, svc)

	r := w.background.refresher()
	for range 3 {
		r.Check(context.Background())
	}
	notes := notesOf(w)
	if len(notes) != 1 {
		t.Fatalf("notifications = %q; want exactly one", notes)
	}
	for _, want := range []string{"Mail: the refresh token ends soon: ", "If the app is in Testing mode, it ends ", "To keep it: publish the app"} {
		if !strings.Contains(notes[0], want) {
			t.Errorf("notification %q lacks %q", notes[0], want)
		}
	}
	assertShown(t, w, "Connected · expires in 30 days · refresh token ends in 2 days if in Testing")

	mu.Lock()
	now = now.Add(2*day + time.Hour)
	mu.Unlock()
	for range 2 {
		r.Check(context.Background())
	}
	notes = notesOf(w)
	if len(notes) != 2 || !strings.HasPrefix(notes[1], "Mail: the refresh token is probably gone: If the app is in Testing mode, it is probably gone since ") ||
		!strings.HasSuffix(notes[1], "To keep it: sign in again with Connect.") {
		t.Fatalf("notifications = %q; want a second one saying it is probably gone", notes)
	}
}

// In Chinese the warning is Chinese: the rule, the condition and the remedies.
func TestRefreshTokenWarningInChinese(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	addConnectedApp(t, svc, "邮件", nil, connectedFor(50*time.Minute))
	withRefreshToken(t, svc, "邮件", "google", 5*24*time.Hour+time.Hour, 0)
	w := openConnectionTab(t, svc, "邮件")
	line := shownLabel(t, w, "应用处于测试模式时，Google 的刷新令牌在签发 7 天后失效")
	for _, want := range []string{"如果应用处于测试模式，它将于 ", "若要继续使用：请在提供方发布应用", "；或者请点击“连接”重新登录"} {
		if !strings.Contains(line.Text, want) {
			t.Errorf("%q lacks %q", line.Text, want)
		}
	}
	assertShown(t, w, "已连接 · 50 分钟后过期 · 若处于测试模式，刷新令牌 47 小时后失效")
}
