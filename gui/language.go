package gui

import (
	"embed"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"connectedapps/core"
)

// The window's words, in English and Simplified Chinese, through Fyne's lang package: every
// string the window shows goes through lang.L with its English words as the key, so a string
// with no translation still reads in English rather than as a key. zh_Hans is Fyne's own name
// for its Chinese (lang/translations/base.zh_Hans.json): one tag, so our words and Fyne's (the
// dialogs' Cancel, the entry's menu) are picked together.
//
//go:embed translations
var translations embed.FS

// The language a person may choose in Settings, kept in the app's preferences.
const (
	prefLanguage    = "language"
	languageSystem  = ""   // follow LANGUAGE, LC_ALL, LC_MESSAGES, LANG
	languageEnglish = "en" // the window in English whatever the system says
	languageChinese = "zh_CN"
)

// useLanguage loads the translations and picks the words of language (languageSystem: the
// system locale's). Fyne's lang reads the locale from the environment and offers no other
// way to choose, so a chosen language is put in LC_ALL and LANGUAGE while lang reads it, and the
// environment is put back at once: programs the window starts (the browser) keep the
// person's own locale. Fyne's widgets take their words when they are built, so a change
// shows from the next start on (Settings says so).
func useLanguage(language string) {
	if language != languageSystem {
		// LC_ALL first (LANG=C would make the reader ignore LANGUAGE), LANGUAGE because it
		// wins over LC_ALL when set.
		for _, name := range []string{"LC_ALL", "LANGUAGE"} {
			old, had := os.LookupEnv(name)
			os.Setenv(name, language)
			defer func() {
				if had {
					os.Setenv(name, old)
				} else {
					os.Unsetenv(name)
				}
			}()
		}
	}
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		// The files are embedded and checked by a test: this is a broken build, and the
		// window still works in English.
		fyne.LogError("cannot load the window's translations", err)
	}
}

// chosenLanguage is the language the person chose in Settings (languageSystem if none).
func chosenLanguage(a fyne.App) string {
	switch l := a.Preferences().String(prefLanguage); l {
	case languageEnglish, languageChinese:
		return l
	default:
		return languageSystem
	}
}

// The form's field labels, placeholders and section headings are core's field table's
// (core/app/fields.go), in English: the window translates them by key, "field.<json>.label",
// "field.<json>.placeholder" and "section.<heading>", core's words being the fallback and
// en.json's values (a test checks en.json says what the table says).
func fieldText(f core.Field) string { return lang.X("field."+f.JSON+".label", f.Label) }

func fieldPlaceholder(f core.Field) string {
	if f.Placeholder == "" {
		return ""
	}
	return lang.X("field."+f.JSON+".placeholder", f.Placeholder)
}

func sectionTitle(s core.Section) string { return lang.X("section."+string(s), string(s)) }

// languageOptions are Settings' choices: the system's, and each language in its own words
// (a person who cannot read the current language still finds their own).
func languageOptions() []string {
	return []string{lang.L("System"), "English", "简体中文"}
}

func languageOptionOf(language string) string {
	switch language {
	case languageEnglish:
		return "English"
	case languageChinese:
		return "简体中文"
	default:
		return lang.L("System")
	}
}

func languageOfOption(option string) string {
	switch option {
	case "English":
		return languageEnglish
	case "简体中文":
		return languageChinese
	default:
		return languageSystem
	}
}
