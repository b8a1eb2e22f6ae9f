package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvportal/kvportal/client"
)

// settings are what login keeps: the portal's URL and a personal access
// token. The file is the user's alone (0600), as the token acts for them.
type settings struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// settingsPath is the file login keeps settings in.
func (e env) settingsPath() (string, error) {
	dir, err := e.configDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory: %w", err)
	}
	return filepath.Join(dir, "kvportal", "config.json"), nil
}

// cmdLogin keeps a token read from standard input (never from the command
// line, where other users and the shell's history see it) and the URL.
func cmdLogin(e env, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "", "the portal's URL (default: KVPORTAL_URL)")
	if err := fs.Parse(args); err != nil {
		return usage("login: %v", err)
	}
	s := settings{URL: strings.TrimRight(first(*url, e.getenv("KVPORTAL_URL")), "/")}
	if s.URL == "" {
		return usage("login: --url or KVPORTAL_URL is needed")
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the token: %w", err)
	}
	s.Token = strings.TrimSpace(line)
	if s.Token == "" {
		return usage("login: give the token on standard input (kvportal login < token.txt)")
	}
	path, err := e.settingsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "kept the token for %s in %s\n", s.URL, path)
	return nil
}

// settings are the URL and token to use: the environment's, over what
// login kept.
func (e env) settings() (settings, error) {
	var kept settings
	if path, err := e.settingsPath(); err == nil {
		if b, err := os.ReadFile(path); err == nil {
			if err := json.Unmarshal(b, &kept); err != nil {
				return kept, &exitError{exitUsage, path + " is not what kvportal login writes: log in again"}
			}
		}
	}
	s := settings{URL: strings.TrimRight(first(e.getenv("KVPORTAL_URL"), kept.URL), "/"),
		Token: first(e.getenv("KVPORTAL_TOKEN"), kept.Token)}
	switch {
	case s.URL == "":
		return s, &exitError{exitUsage, "where is the portal? set KVPORTAL_URL or run kvportal login --url URL"}
	case s.Token == "":
		return s, &exitError{exitUsage, "no token: set KVPORTAL_TOKEN or run kvportal login (a token from the portal's /settings/tokens)"}
	}
	return s, nil
}

// api is the generated client on the portal's /api/v1, sending the token.
func (e env) api() (*client.ClientWithResponses, error) {
	s, err := e.settings()
	if err != nil {
		return nil, err
	}
	return client.NewClientWithResponses(s.URL+"/api/v1", client.WithRequestEditorFn(
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+s.Token)
			return nil
		}))
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
