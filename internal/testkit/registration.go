package testkit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/example/server/storage"
	zop "github.com/zitadel/oidc/v3/pkg/op"
)

// The provider's dynamic client registration (RFC 7591) and its management (RFC 7592), which
// zitadel's example does not have: RegistrationPath registers a client in the provider's own
// storage, so a registered client then really signs in, refreshes and revokes; the
// registration_client_uri it gives reads (GET) and deletes (DELETE) it with the registration
// access token. Discovery names the endpoint (registration_endpoint).
const RegistrationPath = "/register"

// registrations are the clients registered at run time, by client ID.
type registrations struct {
	mu      sync.Mutex
	clients map[string]*registered
	n       int
	// initialToken, when set, is the initial access token every registration must bring.
	initialToken string
}

type registered struct {
	client      *storage.Client
	secret      string
	accessToken string
	metadata    map[string]any
}

func (r *registrations) lookup(id string) (*registered, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.clients[id]
	return c, ok
}

// RequireInitialAccessToken makes registration need this Bearer token ("": none needed).
func (p *Provider) RequireInitialAccessToken(token string) {
	p.dyn.mu.Lock()
	defer p.dyn.mu.Unlock()
	p.dyn.initialToken = token
}

// Registered says whether a client of that ID is registered at run time now.
func (p *Provider) Registered(clientID string) bool {
	_, ok := p.dyn.lookup(clientID)
	return ok
}

// RegisteredMetadata is the client metadata a registration was sent (nil: no such client).
func (p *Provider) RegisteredMetadata(clientID string) map[string]any {
	c, ok := p.dyn.lookup(clientID)
	if !ok {
		return nil
	}
	return c.metadata
}

// withRegistration serves registration and adds its endpoint to the discovery document.
func (p *Provider) withRegistration(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == RegistrationPath && r.Method == http.MethodPost:
			p.register(w, r)
		case strings.HasPrefix(r.URL.Path, RegistrationPath+"/"):
			p.manage(w, r, strings.TrimPrefix(r.URL.Path, RegistrationPath+"/"))
		case r.URL.Path == "/.well-known/openid-configuration" && r.Method == http.MethodGet:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var doc map[string]any
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
				copyRecorded(w, rec, rec.Body.Bytes())
				return
			}
			doc["registration_endpoint"] = p.Issuer + RegistrationPath
			body, _ := json.Marshal(doc)
			copyRecorded(w, rec, body)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func registrationError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (p *Provider) register(w http.ResponseWriter, r *http.Request) {
	p.dyn.mu.Lock()
	want := p.dyn.initialToken
	p.dyn.mu.Unlock()
	if want != "" && r.Header.Get("Authorization") != "Bearer "+want {
		registrationError(w, http.StatusUnauthorized, "invalid_token", "an initial access token is required")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	var md struct {
		ApplicationType         string   `json:"application_type"`
		RedirectURIs            []string `json:"redirect_uris"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
		GrantTypes              []string `json:"grant_types"`
		ClientName              string   `json:"client_name"`
	}
	var all map[string]any
	if json.Unmarshal(body, &md) != nil || json.Unmarshal(body, &all) != nil {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "the body is not JSON")
		return
	}
	if len(md.RedirectURIs) == 0 {
		registrationError(w, http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris is required")
		return
	}
	for _, u := range md.RedirectURIs {
		if _, loopback := zop.HTTPLoopbackOrLocalhost(u); !loopback || md.ApplicationType != "native" {
			registrationError(w, http.StatusBadRequest, "invalid_redirect_uri", "only native clients on loopback are registered here")
			return
		}
	}
	if !slices.Contains(md.GrantTypes, "authorization_code") {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "only the authorization_code grant is registered here")
		return
	}
	p.dyn.mu.Lock()
	p.dyn.n++
	id := "dyn-" + strconv.Itoa(p.dyn.n)
	p.dyn.mu.Unlock()
	reg := &registered{accessToken: "rat-" + randomToken(), metadata: all}
	answer := map[string]any{"client_id": id, "redirect_uris": md.RedirectURIs, "application_type": "native",
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"client_name": md.ClientName, "registration_access_token": reg.accessToken,
		"registration_client_uri": p.Issuer + RegistrationPath + "/" + id}
	switch md.TokenEndpointAuthMethod {
	case "none", "":
		reg.client = storage.NativeClient(id, md.RedirectURIs...)
		answer["token_endpoint_auth_method"] = "none"
	case "client_secret_basic":
		reg.secret = "dyn-secret-" + randomToken()
		reg.client = storage.WebClient(id, reg.secret, md.RedirectURIs...)
		answer["token_endpoint_auth_method"], answer["client_secret"], answer["client_secret_expires_at"] = "client_secret_basic", reg.secret, 0
	default:
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "token_endpoint_auth_method "+md.TokenEndpointAuthMethod+" is not supported here")
		return
	}
	p.dyn.mu.Lock()
	p.dyn.clients[id] = reg
	p.dyn.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(answer)
}

// manage is RFC 7592's read and delete of one registration.
func (p *Provider) manage(w http.ResponseWriter, r *http.Request, id string) {
	reg, ok := p.dyn.lookup(id)
	if !ok || r.Header.Get("Authorization") != "Bearer "+reg.accessToken {
		// RFC 7592 section 2: an unknown client and a wrong token are both 401.
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id, "registration_client_uri": p.Issuer + RegistrationPath + "/" + id})
	case http.MethodDelete:
		p.dyn.mu.Lock()
		delete(p.dyn.clients, id)
		p.dyn.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// registeredClient is the run-time client of that ID, for the storage's lookups.
func (s appPathsStorage) registeredClient(id string) (*registered, bool) {
	if s.dyn == nil {
		return nil, false
	}
	return s.dyn.lookup(id)
}
