package testproc

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const helperEnv = "CONNECTEDAPPS_TESTPROC_HELPER"

// TestHelperProcessStops is not a test: the test below runs the binary again with it selected.
func TestHelperProcessStops(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper process for TestStartStopAtKill")
	}
	hook := StopAt(os.Getenv("CRASH_POINT"))
	for i := 1; i <= 3; i++ {
		hook("step", fmt.Sprint("at ", i))
	}
	fmt.Println("RESULT passed every step")
}

// A child stopped at the second "step" says so and is killed there; with no crash point it
// runs to its RESULT.
func TestStartStopAtKill(t *testing.T) {
	line, cmd := Start(t, "TestHelperProcessStops", "READY", helperEnv+"=1", "CRASH_POINT=step#2")
	if line != "at 2" {
		t.Fatalf("stopped at %q, want at 2", line)
	}
	Kill(t, cmd)
	if StopAt("") != nil {
		t.Fatal("an empty spec gave a hook")
	}
	hook := StopAt("step#2")
	hook("other", "") // another point never stops
	hook("step", "")  // the first "step" is not yet the second
	if line, _ := Start(t, "TestHelperProcessStops", "RESULT", helperEnv+"=1", "CRASH_POINT=other"); !strings.Contains(line, "passed every step") {
		t.Fatalf("without its point reached the helper printed %q", line)
	}
}
