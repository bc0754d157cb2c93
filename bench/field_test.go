package bench

import (
	"errors"
	"strings"
	"testing"

	"github.com/parbench/parbench/workloads"
)

func TestFieldErrorMessage(t *testing.T) {
	flags := map[string]string{"Count": "--count", "TargetCI": "--target-ci"}
	name := func(f string) string { return flags[f] }
	for _, tc := range []struct {
		e          FieldError
		err, named string
	}{
		{FieldError{Field: "Count", Value: "3", Err: errors.New("{TargetCI} needs at least 6 samples a point")},
			"Count 3: TargetCI needs at least 6 samples a point", "--count 3: --target-ci needs at least 6 samples a point"},
		{FieldError{Field: "Count", Err: errors.New("want {1 to 9} or {lower}")},
			"Count: want {1 to 9} or {lower}", "--count: want {1 to 9} or {lower}"},
		{FieldError{Field: "Count", Err: errors.New("unclosed {TargetCI")},
			"Count: unclosed {TargetCI", "--count: unclosed {TargetCI"},
	} {
		if got := tc.e.Error(); got != tc.err {
			t.Errorf("Error() = %q, want %q", got, tc.err)
		}
		if got := tc.e.Message(name); got != tc.named {
			t.Errorf("Message() = %q, want %q", got, tc.named)
		}
	}
}

func TestValidateParams(t *testing.T) {
	c := DefaultConfig()
	c.Params.CPUGoroutines = workloads.MaxCPUGoroutines + 1
	var fe *FieldError
	if err := c.Validate(); !errors.As(err, &fe) || fe.Field != "Params.CPUGoroutines" || fe.Value != "1025" {
		t.Errorf("Validate() = %v, want the FieldError of Params.CPUGoroutines 1025", err)
	}
}

// TestInvalid checks that an error without a field (a registered
// parameter check) keeps its text and still matches ErrInvalid.
func TestInvalid(t *testing.T) {
	err := invalid(errors.New("--db \"x\": want a postgres URL"))
	if !errors.Is(err, ErrInvalid) || err.Error() != `--db "x": want a postgres URL` || errors.As(err, new(*FieldError)) {
		t.Errorf("invalid() = %v", err)
	}
	if invalid(nil) != nil {
		t.Error("invalid(nil) is not nil")
	}
	if err := invalid(&workloads.ParamError{Param: "OpTime", Value: "0s", Err: errors.New("want more")}); !strings.HasPrefix(err.Error(), "Params.OpTime 0s: ") {
		t.Errorf("invalid(ParamError) = %v", err)
	}
}
