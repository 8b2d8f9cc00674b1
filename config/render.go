package config

import (
	"fmt"
	"strings"
)

// EnvExample renders .env.example from the declarations: every variable,
// its meaning above it, its default (or example) as the value.
func EnvExample() string {
	var b strings.Builder
	b.WriteString(`# Generated from config/vars*.go by go generate ./config: edit those, not this file.
# Copy to .env and edit; real environment variables win over this file.
# Single-quote values holding # or $ (an HS key, a PEM): unquoted, # starts a
# comment and $NAME is expanded. Names and defaults are hasura-auth's unless
# docs/configuration.md marks a variable as this server's own.
`)
	for _, s := range Sections() {
		fmt.Fprintf(&b, "\n# --- %s ---\n", s.Title)
		if s.Intro != "" {
			writeComment(&b, s.Intro)
		}
		for _, x := range s.Vars {
			doc := x.Doc
			switch {
			case x.Refused != "":
				doc += " Refused: " + x.Refused + "."
			case x.Pending != "" && x.Gate:
				doc += " Not available yet: setting it stops the start."
			}
			writeComment(&b, doc)
			val := x.Default
			if x.Example != "" {
				val = x.Example
			}
			fmt.Fprintf(&b, "%s=%s\n", x.Name, envQuote(val))
		}
	}
	return b.String()
}

// writeComment writes text as # lines of at most about 100 characters.
func writeComment(b *strings.Builder, text string) {
	line := "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 100 && line != "#" {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

func envQuote(s string) string {
	if strings.ContainsAny(s, "#$ '\"") {
		return "'" + s + "'"
	}
	return s
}

// Reference renders docs/configuration.md from the declarations.
func Reference() string {
	var b strings.Builder
	b.WriteString(`# Configuration reference

<!-- Generated from config/vars*.go by go generate ./config: edit those, not this file. -->

Every setting is an environment variable (or a line of a ` + "`.env`" + ` file in the working
directory; real environment variables win). Names, meanings and defaults are nhost's
hasura-auth's, so its configuration works unchanged, except where a row says **ours**
(a setting only this server has). A value left empty takes the default.

- **not yet**: hasura-auth reads it for a sign-in method this release does not serve;
  the value is read and checked, and enabling the method stops the start with a message
  naming the variable.
- **refused**: this server will not do what it asks; setting it stops the start.
- **secret**: never logged or echoed in an error.
- An ` + "`AUTH_*`" + ` variable that nothing reads is named in a warning at start (a typo).

See also [.env.example](../.env.example) and [migrating from hasura-auth](migrating-from-hasura-auth.md).
`)
	for _, s := range Sections() {
		fmt.Fprintf(&b, "\n## %s\n\n", s.Title)
		if s.Intro != "" {
			b.WriteString(s.Intro + "\n\n")
		}
		b.WriteString("| Variable | Default | Format | Meaning |\n|---|---|---|---|\n")
		for _, x := range s.Vars {
			var marks []string
			if x.Ours {
				marks = append(marks, "**ours**")
			}
			if x.Refused != "" {
				marks = append(marks, "**refused**: "+x.Refused)
			} else if x.Pending != "" {
				marks = append(marks, "**not yet** ("+x.Pending+")")
			}
			if x.Secret {
				marks = append(marks, "**secret**")
			}
			doc := x.Doc
			if len(marks) > 0 {
				doc += " " + strings.Join(marks, "; ") + "."
			}
			def := "(empty)"
			if x.Default != "" {
				def = "`" + x.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", x.Name, cell(def), cell(x.Type()), cell(doc))
		}
	}
	return b.String()
}

// cell keeps a table cell on one line and its pipes literal.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
