package bench

import (
	"errors"
	"strings"

	"github.com/parbench/parbench/workloads"
)

// ErrInvalid is matched (errors.Is) by every error of Config.Validate:
// the Config is at fault, not the run. A command reports it as a usage
// error.
var ErrInvalid = errors.New("invalid configuration")

// FieldError is a Config field with a value out of range: the error of
// Config.Validate. It names the field, not a command-line flag, so that
// a command can name its own flag instead (Message).
type FieldError struct {
	// Field is the field as a Go selector on Config: "Procs",
	// "LockOpts.SwitchInterval", "Params.IOLatency", "Exec.Payloads".
	Field string
	// Value is the value at fault as text ("0", "2h0m0s", `"x"`), or ""
	// where Err says which part of the field is at fault (an item of a
	// list) or the field is wrong as a whole.
	Value string
	// Err says what is wrong and what would be valid. Its text may name
	// another field of the rule in braces, "{TargetCI}".
	Err error
}

func (e *FieldError) Error() string { return e.Message(goName) }

func (e *FieldError) Unwrap() error { return e.Err }

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Message is the error with each field, its own and those Err names in
// braces, written as name(field): a command passes the name of the flag
// that sets the field.
func (e *FieldError) Message(name func(field string) string) string {
	s := name(e.Field)
	if e.Value != "" {
		s += " " + e.Value
	}
	return s + ": " + fieldRefs(e.Err.Error(), name)
}

// goName writes a field as its Go selector.
func goName(field string) string { return field }

// fieldRefs replaces each field named in braces in s, "{TargetCI}", by
// name(field). Braces around anything but a Go selector stay as they are.
func fieldRefs(s string, name func(string) string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		if ref := s[i+1 : i+j]; isSelector(ref) {
			b.WriteString(s[:i])
			b.WriteString(name(ref))
		} else {
			b.WriteString(s[:i+j+1])
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// isSelector reports whether s is an exported Go selector such as
// "TargetCI" or "Exec.Modes".
func isSelector(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" || part[0] < 'A' || part[0] > 'Z' {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// invalidError is a Validate error without a field of its own (a check
// that a workload package registered): its text as it is, matching
// ErrInvalid.
type invalidError struct{ err error }

func (e invalidError) Error() string        { return e.err.Error() }
func (e invalidError) Unwrap() error        { return e.err }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// invalid makes err a Validate error: a *FieldError as it is, a
// *workloads.ParamError as the FieldError of its Params field, anything
// else wrapped so that it matches ErrInvalid.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	var pe *workloads.ParamError
	if errors.As(err, &pe) {
		return &FieldError{Field: "Params." + pe.Param, Value: pe.Value, Err: pe.Err}
	}
	return invalidError{err}
}
