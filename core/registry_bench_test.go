package core

import (
	"fmt"
	"os"
	"testing"

	"connectedapps/core/secret"
)

// Registry benchmarks with 1,000 apps beside those in bench_test.go (Load1000, Update1000):
// the lookup every `token` call makes, adding an app (a whole locked read-modify-write with
// fsync and rename), and the file's size.

func BenchmarkRegistryFind1000(b *testing.B) {
	svc := benchService(b, secret.NewMemoryStore(), 1000)
	for b.Loop() {
		if _, err := svc.Registry.Find("app 0999"); err != nil { // the last one, matched without regard to case
			b.Fatal(err)
		}
	}
	reportRegistrySize(b, svc)
}

func BenchmarkRegistrySave1000(b *testing.B) {
	svc := benchService(b, secret.NewMemoryStore(), 1000)
	i := 0
	for b.Loop() {
		err := svc.Registry.Update(func(apps []App) ([]App, error) {
			i++
			a := NewApp(fmt.Sprintf("Extra %d", i))
			a.ClientID, a.AuthorizationURI, a.TokenURI = "client", "https://example.com/auth", "https://example.com/token"
			return append(apps[:1000], a), nil // stays at 1,001 apps
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportRegistrySize(b, svc)
}

func reportRegistrySize(b *testing.B, svc *Service) {
	b.Helper()
	st, err := os.Stat(svc.Registry.Path())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size()), "file-bytes")
}
