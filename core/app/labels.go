package app

// FieldLabel is how a person calls a field of the document, by its JSON name ("jwks_uri":
// "JWKS URI"), for the front ends' words about a remedy; an unknown name is given back as is.
func FieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return field
}

var fieldLabels = map[string]string{
	"provider_name": "name", "client_id": "client ID", "client_secret": "client secret",
	"openid_configuration": "discovery URL", "authorization_uri": "authorization URI", "token_uri": "token URI",
	"revocation_uri": "revocation URI", "userinfo_uri": "userinfo URI", "introspection_uri": "introspection URI",
	"device_authorization_uri": "device authorization URI", "issuer": "issuer", "jwks_uri": "JWKS URI",
	"scopes": "scopes", "query_parameters": "extra parameters", "redirect_host": "redirect host",
	"redirect_port": "redirect port", "callback_path": "callback path", "token_endpoint_auth_method": "auth method",
	"grant_type": "grant type", "git_hosts": "git hosts",
}
