package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// argvTokenRecipe finds what puts a token into a program's argv, where every user of the
// machine can read it (ps, /proc/PID/cmdline): a "$(connectedapps token ...)" substitution
// used as an argument (only eval, a shell builtin, may take it), and "$ACCESS_TOKEN" expanded
// anywhere but into printf, a builtin that starts no process.
func argvTokenRecipes(text string) []string {
	var bad []string
	substitution := regexp.MustCompile(`\$\((connectedapps|"\$BIN") token`)
	for _, line := range strings.Split(text, "\n") {
		for _, loc := range substitution.FindAllStringIndex(line, -1) {
			if !strings.HasSuffix(strings.TrimRight(line[:loc[0]], `"`), "eval ") {
				bad = append(bad, line)
			}
		}
		// Each pipeline stage that expands the variable must be a printf.
		for _, stage := range regexp.MustCompile(`\||&&|;|\bsh -c '`).Split(line, -1) {
			if strings.Contains(stage, "$ACCESS_TOKEN") || strings.Contains(stage, "${ACCESS_TOKEN}") {
				if !strings.HasPrefix(strings.TrimSpace(stage), "printf ") && looksLikeCommand(stage) {
					bad = append(bad, line)
				}
			}
		}
	}
	return bad
}

// looksLikeCommand tells a recipe from prose that merely names the variable
// ("a valid access token in $ACCESS_TOKEN"): a recipe stage runs a program with arguments.
func looksLikeCommand(stage string) bool {
	return regexp.MustCompile(`\b(curl|wget|http|git|python3?|env)\b.*\$\{?ACCESS_TOKEN`).MatchString(stage) ||
		strings.Contains(stage, `-H "`) || strings.Contains(stage, "Bearer $")
}

func TestNoRecipePutsATokenOnACommandLine(t *testing.T) {
	// The checker itself catches the recipes the README and help once had.
	for _, old := range []string{
		`curl -H "$(connectedapps token Google --format header)" https://gmail.googleapis.com/`,
		`connectedapps exec Google -- sh -c 'curl -H "Authorization: Bearer $ACCESS_TOKEN" https://...'`,
		`eval "$(connectedapps token Google --format env)" && curl -H "Authorization: Bearer $ACCESS_TOKEN" https://x`,
		`git clone https://oauth2:$(connectedapps token GitLab)@gitlab.com/me/p.git`,
	} {
		if len(argvTokenRecipes(old)) == 0 {
			t.Errorf("the check misses %s", old)
		}
	}
	for _, fine := range []string{
		`connectedapps token Google --format header | curl -H @- https://x`,
		`eval "$(connectedapps token Google --format env)"`,
		`connectedapps exec Google -- sh -c 'printf "Authorization: Bearer %s\n" "$ACCESS_TOKEN" | curl -H @- https://...'`,
		`Run CMD with a valid access token in $ACCESS_TOKEN (refreshed first if needed).`,
	} {
		if bad := argvTokenRecipes(fine); len(bad) > 0 {
			t.Errorf("the check refuses a safe line: %s", fine)
		}
	}

	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The README's recipes are its fenced code blocks; its prose may quote a bad example.
	texts := map[string]string{"README.md": strings.Join(codeBlocks(string(readme)), "\n")}
	for topic, text := range helpTopics {
		texts["help "+topic] = text
	}
	for where, text := range texts {
		for _, line := range argvTokenRecipes(text) {
			t.Errorf("%s puts the token on a command line: %s", where, strings.TrimSpace(line))
		}
	}
}

// codeBlocks returns the lines inside the ``` fences of a Markdown text.
func codeBlocks(markdown string) []string {
	var lines []string
	inside := false
	for _, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inside = !inside
			continue
		}
		if inside {
			lines = append(lines, line)
		}
	}
	return lines
}
