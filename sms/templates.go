package sms

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
)

// templateName is the SMS template's directory, hasura-auth's layout:
// <locale>/signin-passwordless-sms/body.txt, placeholder ${code}.
const templateName = "signin-passwordless-sms"

//go:embed templates
var embeddedTemplates embed.FS

// templates maps a locale to its message body.
type templates struct {
	byLocale      map[string]string
	defaultLocale string
}

// loadTemplates reads the embedded bodies, then those under dir
// (AUTH_EMAIL_TEMPLATES_PATH), which win locale by locale.
func loadTemplates(dir, defaultLocale string) (*templates, error) {
	t := &templates{byLocale: map[string]string{}, defaultLocale: strings.TrimSpace(defaultLocale)}
	sub, err := fs.Sub(embeddedTemplates, "templates")
	if err != nil {
		return nil, err
	}
	if err := t.read(sub); err != nil {
		return nil, fmt.Errorf("embedded SMS templates: %w", err)
	}
	if dir != "" {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("AUTH_EMAIL_TEMPLATES_PATH: %q is not a directory", dir)
		}
		if err := t.read(os.DirFS(dir)); err != nil {
			return nil, fmt.Errorf("AUTH_EMAIL_TEMPLATES_PATH: %w", err)
		}
	}
	return t, nil
}

func (t *templates) read(fsys fs.FS) error {
	matches, err := fs.Glob(fsys, path.Join("*", templateName, "body.txt"))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		b, err := fs.ReadFile(fsys, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		body := strings.TrimSpace(string(b))
		if !strings.Contains(body, "${code}") {
			errs = append(errs, fmt.Errorf("%s has no ${code}", m))
			continue
		}
		t.byLocale[path.Dir(path.Dir(m))] = body
	}
	return errors.Join(errs...)
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z]+)\}`)

// render fills the body for locale (else the default locale, else en) with
// the code; other placeholders become empty, as in hasura-auth.
func (t *templates) render(locale, code string) string {
	body := ""
	for _, l := range []string{locale, t.defaultLocale, "en"} {
		if b, ok := t.byLocale[l]; ok && l != "" {
			body = b
			break
		}
	}
	return strings.TrimSpace(placeholder.ReplaceAllStringFunc(body, func(m string) string {
		if m == "${code}" {
			return code
		}
		return ""
	}))
}
