package cli

import (
	"fmt"
	"strings"

	"connectedapps/core"
)

// appFlagsHelp lists add and edit's document flags from core's field table, in the form's
// order: a flag with help on a line of its own (continuation lines indented under it), the
// endpoints without help of their own together on one line where the first of them stands.
var appFlagsHelp = func() string {
	var b strings.Builder
	var endpoints []string
	for _, f := range core.Fields {
		switch {
		case f.Flag == "":
		case f.FlagHelp == "" && f.Kind == core.KindEndpoint:
			if endpoints == nil {
				b.WriteString("\x00") // where the endpoint line goes
			}
			endpoints = append(endpoints, "--"+f.Flag+" U")
		default:
			flag := "--" + f.Flag
			if f.FlagArg != "" {
				flag += " " + f.FlagArg
			}
			lines := strings.Split(f.FlagHelp, "\n")
			fmt.Fprintf(&b, "  %-24s %s\n", flag, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(&b, "  %-24s %s\n", "", l)
			}
		}
	}
	return strings.Replace(b.String(), "\x00", "  "+strings.Join(endpoints, "  ")+"\n", 1)
}()

// accountHelp is the --account line of every command that uses one account's tokens.
const accountHelp = `  --account EMAIL|SUBJECT
                 which of the app's accounts (default: its default account; see connectedapps accounts)
`

var helpTopics = map[string]string{
	"add": `connectedapps add NAME [--preset ID [--tenant T | --realm R | --site URL | --domain D]] [flags]
Register an app. NAME is how every other command refers to it (case does not matter).
  --preset ID              start from a provider preset (see connectedapps presets): its endpoints,
                           scopes, parameters and redirect advice; every other flag overrides it
  --tenant T  --realm R  --site URL  --domain D
                           the values the preset needs (Microsoft tenant; Keycloak server and realm;
                           Frappe or GitLab site; Okta or Auth0 domain)
` + appFlagsHelp + `  --register               register the client at the provider (RFC 7591) instead of giving --client-id:
                           needs a discovery document that names a registration_endpoint (--discovery,
                           or the frappe and keycloak presets, which try it when no --client-id is given)
  --initial-access-token-stdin
                           read the initial access token the provider requires for registration from
                           stdin (never from the command line); it is sent once and kept nowhere
Examples:
  printf %s "$SECRET" | connectedapps add Google --discovery https://accounts.google.com \
      --client-id ID --client-secret-stdin --scope "openid email" --param access_type=offline --param prompt=consent
  connectedapps add Outlook --preset microsoft --tenant common --client-id ID
  printf %s "$SECRET" | connectedapps add ERP --preset frappe --site https://erp.example.com --client-id ID --client-secret-stdin
  connectedapps add ERP --preset frappe --site https://erp.example.com      (registers a client where the site allows it)
  printf %s "$TOKEN" | connectedapps add SSO --discovery https://sso.example.com/realms/r --register --initial-access-token-stdin
`,
	"edit": `connectedapps edit NAME [flags] [--rename NEW]
Change an app. Only the flags given change anything; --scope, --param and --git-host replace their
lists (--git-host "" empties it).
A new client ID, token URI or issuer revokes and deletes the tokens; new scopes keep them until you connect again.
` + appFlagsHelp + `  --pkce                   turn PKCE back on
`,
	"list": `connectedapps list [--json]
Every app with its connection state, token expiry and refresh token against its provider's
known limit ("! ends in 2d 0h", "! probably gone"; "-" when nothing is known). Never reads the
keyring.
`,
	"show": `connectedapps show NAME [--json]
The app's document, its redirect URI and connection state. Never prints a secret.
`,
	"inspect": `connectedapps inspect NAME [--account EMAIL|SUBJECT] [--json]
What the app's tokens are, without printing one: for the access and the ID token their kind,
length and expiry; for a JWT its header, every claim (times in local time and how long from now)
and whether its signature was verified against the app's JWKS (and with which key), or why not;
the ID token's at_hash against the access token; the scopes granted against those requested; the
refresh token, held since when, and what the provider is known to do with it.
Reads the keyring and the JWKS; never refreshes. --json gives the same as JSON.
` + accountHelp,
	"register": `connectedapps register NAME [--initial-access-token-stdin]
Register a client at the provider (RFC 7591) for an app already saved: one imported or made from a
preset while the site was unreachable, or one whose client you would rather have registered than
typed. The provider's registration endpoint comes from the app's discovery document (read again if
the app has none); the app keeps its name, settings and redirect URI, and gets the provider's client
ID; a client secret and the registration access token go to the keyring, and an old client secret
is deleted. Tokens signed in with the old client cannot be used with the new one: they are revoked
(where the provider can) and deleted, and each account is named, to connect again.
An app whose client this program registered already is refused: remove it (which deletes that client
at the provider) and add it again with --register.
--initial-access-token-stdin reads the provider's initial access token, where it requires one.
`,
	"remove": `connectedapps remove NAME [--local-only]
Revoke the tokens at the provider (unless --local-only), delete the client there if this program
registered it (add --register), then delete the app and its secrets. If the provider cannot be told,
nothing is removed; --local-only forgets the app here without asking the provider.
`,
	"discover": `connectedapps discover URL [--issuer URL]
Print the provider's discovered endpoints as JSON.
`,
	"connect": `connectedapps connect NAME [--login-hint EMAIL] [--timeout 5m] [--no-browser] [--device]
Open the browser to sign in, catch the redirect on this machine, and keep the tokens in the keyring.
Each person who signs in is an account of the app, known by the subject the provider verified:
signing in again as the same person updates that account; as another adds one (the first is the
default). Once the app has an account, the sign-in asks the provider to let you pick the account
(prompt=select_account, or the preset's way).
  --login-hint EMAIL
                 the account to sign in as, sent as login_hint (the provider may skip its chooser)
  --no-browser   print the link instead, and accept the final redirected URL pasted on stdin
                 (for a browser on another machine)
  --device       sign in with a code instead (RFC 8628), for any app with a device URI: the page and
                 the code are printed on lines of their own, to be approved on any device; waits until
                 the code expires unless --timeout is given. Apps added with --grant device_code always do this.
An app with --grant client_credentials just fetches its first token: nobody signs in.
`,
	"accounts": `connectedapps accounts NAME [--json] [--default EMAIL|SUBJECT]
List the app's accounts: which is the default, email, subject, state and expiry. --json prints
[{id, subject, email, name, state, expires_at, default}].
  --default EMAIL|SUBJECT
                 make that account the default: the one token, refresh, userinfo, introspect,
                 disconnect, exec and git-credential use when no --account is given
`,
	"token": `connectedapps token NAME [--account EMAIL|SUBJECT] [--format bare|header|json|env|xoauth2|oauthbearer|kube]
                       [--user EMAIL] [--host HOST --port N] [--kube-token id|access] [--min-valid 60s] [--id-token]
Print a valid access token, refreshing it first when it expires within --min-valid
(capped at half the token's lifetime when the provider never grants that much).
A client credentials app fetches a new token instead of refreshing.
  --account EMAIL|SUBJECT
                    which of the app's accounts (default: its default account; see connectedapps accounts)
  --format header   prints "Authorization: Bearer TOKEN", for curl to read from stdin (never put the
                    token in a command's arguments, which other users can read):
                      connectedapps token NAME --format header | curl -H @- https://...
  --format json     prints {access_token, token_type, expires_at, expires_in, scopes}
  --format env      prints export ACCESS_TOKEN='TOKEN', for eval "$(connectedapps token NAME --format env)"
  --format xoauth2  prints the base64 SASL XOAUTH2 string for IMAP and SMTP; --user EMAIL names the
                    mailbox (default: the email address of the account used)
  --format oauthbearer
                    prints the base64 SASL OAUTHBEARER string (RFC 7628) for IMAP and SMTP:
                    n,a=EMAIL,^Ahost=HOST^Aport=N^Aauth=Bearer TOKEN^A^A; --user as for xoauth2, and
                    --host and --port name the mail server for a server that checks them
  --format kube     prints a client.authentication.k8s.io/v1 ExecCredential for kubectl's exec
                    credential plugin: the ID token (--kube-token access: the access token) and its
                    expirationTimestamp; an ID token that has run out is refreshed, never handed over
Exit 3: sign in again (or fix the client); exit 4: temporary failure, try again.
`,
	"refresh": `connectedapps refresh NAME [--account EMAIL|SUBJECT]
Refresh the tokens now (of one account; each account of an app refreshes on its own).
` + accountHelp,
	"userinfo": `connectedapps userinfo NAME [--account EMAIL|SUBJECT]
Call the userinfo endpoint with the access token and print its answer.
` + accountHelp,
	"introspect": `connectedapps introspect NAME [--account EMAIL|SUBJECT]
Ask the introspection endpoint (RFC 7662) about the access token and print its answer.
` + accountHelp,
	"presets": `connectedapps presets [ID] [--json]
List the provider presets (ID, name, the flags each needs), or show one preset's registration page and quirks.
`,
	"import": `connectedapps import FILE [--as NAME]
Register the apps in FILE (- reads stdin): a Google client_secret_*.json (Desktop app or Web application;
the client secret goes to the keyring, a loopback redirect URI sets the redirect host and port) or Frappe
Connected App JSON (one document or an array; Frappe's own redirect_uri is ignored). A name already taken
is refused, and nothing is imported: --as NAME registers the file's one app under another name.
`,
	"export": `connectedapps export [NAME...]
Print the named apps (all without a NAME) as a JSON array of Frappe Connected App documents.
Never writes a client secret, a token or who signed in.
`,
	"exec": `connectedapps exec NAME [--account EMAIL|SUBJECT] [--min-valid 60s] -- CMD [ARGS...]
Run CMD with a valid access token in $ACCESS_TOKEN (refreshed first if needed). stdin, stdout and
stderr are the command's; its exit status is passed on (128+N when a signal N ended it; 127 when
CMD cannot be found).
Keep the token out of any command's arguments (other users can read those): let the program read
$ACCESS_TOKEN itself, or hand it over on stdin with the shell's printf, which starts no process:
  connectedapps exec Google -- python3 sync.py
  connectedapps exec Google -- sh -c 'printf "Authorization: Bearer %s\n" "$ACCESS_TOKEN" | curl -H @- https://...'
Simpler still: connectedapps token Google --format header | curl -H @- https://...
` + accountHelp,
	"git-credential": `connectedapps git-credential NAME [--account EMAIL|SUBJECT] [--username oauth2] [get|store|erase]
A git credential helper: "get" answers username=oauth2 and password=TOKEN, only for https remotes
on one of the app's git hosts (edit NAME --git-host HOST; the github and gitlab presets set theirs).
For any other host it answers nothing, so git asks its next helper, and says why on stderr. A token
holding a line break or NUL is never written. "store" and "erase" are accepted and ignored.
Set it up for that host only:
  git config --global credential.https://github.com.helper '!connectedapps git-credential GitHub'
` + accountHelp,
	"disconnect": `connectedapps disconnect NAME [--account EMAIL|SUBJECT] [--local-only]
Revoke the grant of one account at the provider, then delete its tokens here; the app's other
accounts stay. If revocation fails nothing is deleted; --local-only forgets the tokens here without
telling the provider.
` + accountHelp,
}
