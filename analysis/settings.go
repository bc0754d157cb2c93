package analysis

import (
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
)

// A group's settings come in two forms. Group.Settings is what the
// reports print: "k=v" joined by blanks, in the order of
// results.SettingKeys. It cannot be read back by key: a value may hold
// blanks and "=" (results.KeyServerCmd is a command line, whose words
// may read "rate=5"), so a word "rate=5" may be the rate or part of the
// command before it. The settings' key form, which groups also differ
// by, quotes each value (strconv.Quote), so that Group.Setting finds a
// key's value whole.

// quoteSetting is one setting in the key form: k="v".
func quoteSetting(k, v string) string { return k + "=" + strconv.Quote(v) }

// settingOf returns the value of key in settings of the key form
// (quoteSetting's, joined by blanks), and whether it is there.
func settingOf(settings, key string) (string, bool) {
	rest := settings
	for rest != "" {
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			return "", false
		}
		q, err := strconv.QuotedPrefix(after)
		if err != nil {
			return "", false
		}
		if k == key {
			v, err := strconv.Unquote(q)
			return v, err == nil
		}
		rest = strings.TrimPrefix(after[len(q):], " ")
	}
	return "", false
}

// Setting returns the value of the workload setting key (one of
// results.SettingKeys) in the group's file configuration, and whether
// the file has it. Unlike a word of Settings, the value is whole.
func (g *Group) Setting(key string) (string, bool) { return settingOf(g.setting, key) }

// rate returns the open loop's rate in ops/s as the group's file writes
// it (results.KeyRate, `parbench run --rate`), or "" for a closed loop:
// no such setting, or 0. The verdict, the fits and the served section
// judge nothing from an open loop's sec/op (see openLoop).
func (g *Group) rate() string { return openRate(g.setting) }

// openRate is rate for settings in the key form.
func openRate(settings string) string {
	v, _ := settingOf(settings, results.KeyRate)
	if f, err := strconv.ParseFloat(v, 64); v == "" || err == nil && f == 0 {
		return ""
	}
	return v
}
