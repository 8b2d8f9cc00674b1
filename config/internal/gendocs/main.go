// Command gendocs writes .env.example and docs/configuration.md from the
// variables config declares. go generate ./config runs it from config/.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hasura-auth-go/auth/config"
)

func main() {
	root := ".."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	for path, content := range map[string]string{
		".env.example":          config.EnvExample(),
		"docs/configuration.md": config.Reference(),
	} {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
