package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command has a Long and an Example, so `tok X --help` and the man
// pages (`make man`) show what it does and how it is used.
func TestEveryCommandHasLongAndExample(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Long == "" {
			t.Errorf("%s has no Long", c.CommandPath())
		}
		if c.Example == "" && !c.IsAdditionalHelpTopicCommand() {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootForDocs())
}

// The help topics carry the README's tables: every exit status of "Exit
// status" and every variable of "Environment" is in its topic.
func TestHelpTopicsFollowTheREADME(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	firstCells := func(section string) []string {
		start := strings.Index(readme, "\n"+section+"\n")
		if start < 0 {
			t.Fatalf("README has no %q", section)
		}
		var cells []string
		for _, line := range strings.Split(readme[start+len(section)+2:], "\n") {
			if strings.HasPrefix(line, "#") {
				break
			}
			if cols := strings.Split(line, "|"); len(cols) > 2 && !strings.HasPrefix(strings.TrimSpace(cols[1]), "---") {
				cells = append(cells, strings.TrimSpace(cols[1]))
			}
		}
		if len(cells) < 3 {
			t.Fatalf("README %q: no table found", section)
		}
		return cells[1:] // without the header
	}
	for _, code := range firstCells("## Exit status") {
		if !regexp.MustCompile(`(?m)^    ` + regexp.QuoteMeta(code) + ` `).MatchString(exitCodesHelp) {
			t.Errorf("tok help exit-codes lacks status %s", code)
		}
	}
	for _, cell := range firstCells("### Environment") {
		for _, name := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cell, -1) {
			if !strings.Contains(environmentHelp, name[1]) {
				t.Errorf("tok help environment lacks %s", name[1])
			}
		}
	}
}

func TestHelpTopics(t *testing.T) {
	for topic, want := range map[string]string{"exit-codes": "    130  interrupted", "environment": "TOK_STATE_DIR"} {
		var out, errOut strings.Builder
		a := NewApp(strings.NewReader(""), &out, &errOut)
		if code := a.Run(context.Background(), []string{"help", topic}); code != 0 || !strings.Contains(out.String(), want) {
			t.Errorf("tok help %s: status %d, stdout %q, stderr %q", topic, code, out.String(), errOut.String())
		}
	}
	var out strings.Builder
	NewApp(strings.NewReader(""), &out, io.Discard).Run(context.Background(), []string{"--help"})
	if !strings.Contains(out.String(), "Additional help topics:") || !strings.Contains(out.String(), "exit-codes") {
		t.Errorf("tok --help lists no help topics:\n%s", out.String())
	}
}

// `tok help X` is `tok X --help`, the -h, --help line included, for every
// command.
func TestHelpCommandMatchesHelpFlag(t *testing.T) {
	help := func(args ...string) string {
		var out strings.Builder
		if code := NewApp(strings.NewReader(""), &out, io.Discard).Run(context.Background(), args); code != 0 {
			t.Fatalf("tok %s: status %d", strings.Join(args, " "), code)
		}
		return out.String()
	}
	for _, c := range NewRootForDocs().Commands() {
		if !c.IsAvailableCommand() {
			continue
		}
		viaFlag, viaHelp := help(c.Name(), "--help"), help("help", c.Name())
		if viaHelp != viaFlag {
			t.Errorf("tok help %[1]s differs from tok %[1]s --help:\n%s\nwant:\n%s", c.Name(), viaHelp, viaFlag)
		}
		if !strings.Contains(viaHelp, "-h, --help ") {
			t.Errorf("tok help %s has no -h, --help line:\n%s", c.Name(), viaHelp)
		}
	}
}
