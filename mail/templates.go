package mail

import (
	"embed"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
)

// The embedded defaults, in hasura-auth's layout:
// templates/<locale>/<template>/{subject.txt, body.html, body.txt}.
//
//go:embed templates
var embedded embed.FS

// Rendered is a message ready to send.
type Rendered struct {
	Locale  string // the locale the template came from
	Subject string
	HTML    string
	Text    string // empty when an override gives only body.html
}

// parts is one <locale>/<template> directory.
type parts struct {
	subject, html, text string
	hasSubject, hasHTML bool
}

type templateSet struct {
	byKey         map[string]*parts // "<locale>/<template>"
	defaultLocale string
}

const (
	fileSubject = "subject.txt"
	fileHTML    = "body.html"
	fileText    = "body.txt"
)

// loadTemplates reads the embedded templates, then lays the files under dir
// (AUTH_EMAIL_TEMPLATES_PATH) over them file by file, so an override may
// change just a subject. An overriding body.html without a body.txt drops the
// default plain-text body, which would no longer match the HTML.
func loadTemplates(dir, defaultLocale string) (*templateSet, error) {
	set := &templateSet{byKey: map[string]*parts{}, defaultLocale: defaultLocale}
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	if err := set.read(sub, false); err != nil {
		return nil, fmt.Errorf("embedded email templates: %w", err)
	}
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("AUTH_EMAIL_TEMPLATES_PATH: %w", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("AUTH_EMAIL_TEMPLATES_PATH: %s is not a directory", dir)
		}
		if err := set.read(os.DirFS(dir), true); err != nil {
			return nil, fmt.Errorf("AUTH_EMAIL_TEMPLATES_PATH: %w", err)
		}
	}
	var errs []error
	for key, p := range set.byKey {
		if !p.hasSubject || !p.hasHTML {
			errs = append(errs, fmt.Errorf("AUTH_EMAIL_TEMPLATES_PATH: %s needs both %s and %s", key, fileSubject, fileHTML))
		}
	}
	return set, errors.Join(errs...)
}

// read walks <locale>/<template>/<file> in fsys; other files are ignored, as
// hasura-auth ignores them.
func (s *templateSet) read(fsys fs.FS, override bool) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		segs := strings.Split(p, "/")
		if d.IsDir() || len(segs) != 3 {
			return nil
		}
		locale, name, file := segs[0], segs[1], segs[2]
		if file != fileSubject && file != fileHTML && file != fileText {
			return nil
		}
		if !slices.Contains(Templates, Template(name)) {
			return nil // e.g. signin-passwordless-sms: not ours to send
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		key := path.Join(locale, name)
		pt := s.byKey[key]
		if pt == nil {
			pt = &parts{}
			s.byKey[key] = pt
		}
		switch file {
		case fileSubject:
			pt.subject, pt.hasSubject = string(b), true
		case fileHTML:
			pt.html, pt.hasHTML = string(b), true
			if override {
				if _, err := fs.Stat(fsys, path.Join(locale, name, fileText)); err != nil {
					pt.text = ""
				}
			}
		case fileText:
			pt.text = string(b)
		}
		return nil
	})
}

// lookup picks the recipient's locale, else the default locale, else en.
func (s *templateSet) lookup(t Template, locale string) (*parts, string, error) {
	for _, l := range []string{locale, s.defaultLocale, "en"} {
		if p := s.byKey[path.Join(l, string(t))]; p != nil && l != "" {
			return p, l, nil
		}
	}
	return nil, "", fmt.Errorf("no email template %q for locale %q", t, locale)
}

func (s *templateSet) render(t Template, locale string, d Data) (*Rendered, error) {
	p, used, err := s.lookup(t, locale)
	if err != nil {
		return nil, err
	}
	d.Locale = used
	vars := d.vars()
	subject := oneLine(strings.TrimSpace(expand(p.subject, vars, false)))
	return &Rendered{
		Locale:  used,
		Subject: subject,
		HTML:    expand(p.html, vars, true),
		Text:    expand(p.text, vars, false),
	}, nil
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z]+)\}`)

// expand replaces ${name} as hasura-auth does (unknown names become empty).
// In HTML every value is escaped: a display name is user input.
func expand(tmpl string, vars map[string]string, escapeHTML bool) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		v := vars[m[2:len(m)-1]]
		if escapeHTML {
			return html.EscapeString(v)
		}
		return v
	})
}
