// Runs one `pulumi` operation on a Go program as an Automation API inline program:
//
//	PROGRAM OPERATION WORK_DIR STACK EVENTS_FILE OUT_FILE
//
// The Go counterpart of aep_pulumi/testing/inline.py and inline.js (the Go module proxy serves no
// Go language host): the program's `func program(ctx *pulumi.Context) error` is served from this
// process. OPERATION is preview, up, refresh or destroy. WORK_DIR holds the program's Pulumi.yaml
// and the stack's configuration (the stack must exist); the engine's events go to EVENTS_FILE as
// JSON lines (the CLI's `--event-log` shape) and the result to OUT_FILE as JSON, as the other two
// drivers write them.
//
// The test kit (aep_pulumi/testing/go_program.py) builds this file beside the program's own files
// as `aep_inline_test.go`, with `go test -c`: a package has one `main`, and the program's must
// stay as a user writes it (`pulumi.Run(program)`). A test binary's entry point is TestMain, run
// after every package's initialisation, so this file needs nothing from the program but
// `program`. PULUMI_HOME, the backend and the passphrase come from the environment the kit starts
// this in, as for the other drivers.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

const usage = "usage: PROGRAM preview|up|refresh|destroy WORK_DIR STACK EVENTS_FILE OUT_FILE"

func TestMain(_ *testing.M) {
	os.Exit(drive(os.Args[1:]))
}

func drive(args []string) int {
	if len(args) != 5 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	operation, workDir, stackName, eventsPath, outPath := args[0], args[1], args[2], args[3], args[4]
	switch operation {
	case "preview", "up", "refresh", "destroy":
	default:
		fmt.Fprintf(os.Stderr, "unknown operation %q\n%s\n", operation, usage)
		return 2
	}
	ctx := context.Background()
	result := map[string]any{"operation": operation}
	code := 0
	if err := operate(ctx, operation, workDir, stackName, eventsPath, result); err != nil {
		result["error"] = err.Error()
		code = 1
	}
	out, err := json.Marshal(result)
	if err == nil {
		err = os.WriteFile(outPath, out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

func operate(
	ctx context.Context, operation, workDir, stackName, eventsPath string, result map[string]any,
) error {
	project, err := workspace.LoadProject(filepath.Join(workDir, "Pulumi.yaml"))
	if err != nil {
		return err
	}
	// The work dir's Pulumi.yaml is used as it is (never rewritten) because it exists there.
	stack, err := auto.SelectStackInlineSource(
		ctx, stackName, project.Name.String(), program, auto.WorkDir(workDir),
	)
	if err != nil {
		return err
	}
	file, err := os.Create(eventsPath)
	if err != nil {
		return err
	}
	defer file.Close()
	// Unbuffered: the library hands over every event before the operation returns (its events
	// server stops gracefully), so once it has returned, all of them have been received here.
	channel := make(chan events.EngineEvent)
	stop, written := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(written)
		encoder := json.NewEncoder(file)
		for {
			select {
			case event, open := <-channel:
				if !open {
					return
				}
				if event.Error != nil {
					fmt.Fprintln(os.Stderr, "event stream:", event.Error)
					continue
				}
				if err := encoder.Encode(event.EngineEvent); err != nil {
					fmt.Fprintln(os.Stderr, "events file:", err)
				}
			// The library closes the channel only if the engine opened its event stream; an
			// operation that failed before that leaves it open.
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-written
	}()

	switch operation {
	case "preview":
		r, err := stack.Preview(ctx, optpreview.EventStreams(channel), optpreview.Color("never"))
		if err != nil {
			return err
		}
		result["changes"], result["stdout"] = r.ChangeSummary, r.StdOut
	case "up":
		r, err := stack.Up(ctx, optup.EventStreams(channel), optup.Color("never"))
		if err != nil {
			return err
		}
		outputs := map[string]any{}
		for key, output := range r.Outputs {
			outputs[key] = output.Value
		}
		result["outputs"], result["stdout"] = outputs, r.StdOut
		result["summary"] = r.Summary.ResourceChanges
	case "refresh":
		r, err := stack.Refresh(ctx, optrefresh.EventStreams(channel), optrefresh.Color("never"))
		if err != nil {
			return err
		}
		result["stdout"], result["summary"] = r.StdOut, r.Summary.ResourceChanges
	case "destroy":
		r, err := stack.Destroy(ctx, optdestroy.EventStreams(channel), optdestroy.Color("never"))
		if err != nil {
			return err
		}
		result["stdout"], result["summary"] = r.StdOut, r.Summary.ResourceChanges
	}
	return nil
}
