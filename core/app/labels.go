package app

// FieldLabel is how a person calls a field of the document, by its JSON name ("jwks_uri":
// "JWKS URI"), for the front ends' words about a remedy: the field table's Noun, or for the
// one stored field no person sets (the callback path, fixed when the app is made) its own
// words; an unknown name is given back as is.
func FieldLabel(field string) string {
	if f, ok := FieldByJSON(field); ok && f.Noun != "" {
		return f.Noun
	}
	if field == "callback_path" {
		return "callback path"
	}
	return field
}
