// Runs json-patch-tests vectors through evanphx/json-patch v5 and prints the outcomes.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	jsonpatch "oracle/jsonpatch"
)

type vector struct {
	Comment  string          `json:"comment"`
	Doc      json.RawMessage `json:"doc"`
	Patch    json.RawMessage `json:"patch"`
	Disabled bool            `json:"disabled"`
}

type outcome struct {
	Comment string          `json:"comment,omitempty"`
	Index   int             `json:"index"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
	Reason  string          `json:"reason,omitempty"`
}

func reason(err error) string {
	switch {
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return "test_failed"
	case errors.Is(err, jsonpatch.ErrMissing):
		return "missing"
	case errors.Is(err, jsonpatch.ErrInvalid):
		return "invalid"
	case errors.Is(err, jsonpatch.ErrInvalidIndex):
		return "invalid_index"
	}
	return "other"
}

func run(doc, patch []byte) (res []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, err
	}
	return p.Apply(doc)
}

type mvector struct {
	Comment string          `json:"comment"`
	Doc     json.RawMessage `json:"doc"`
	Patch   json.RawMessage `json:"patch"`
	From    json.RawMessage `json:"from"`
	To      json.RawMessage `json:"to"`
}

// merge FILE: jsonpatch.MergePatch(doc, patch); create FILE: jsonpatch.CreateMergePatch(from, to).
func mergeMain(mode string, data []byte) {
	var vs []mvector
	if err := json.Unmarshal(data, &vs); err != nil {
		panic(err)
	}
	var out []outcome
	for i, v := range vs {
		o := outcome{Comment: v.Comment, Index: i}
		var res []byte
		var err error
		if mode == "merge" {
			res, err = jsonpatch.MergePatch(v.Doc, v.Patch)
		} else {
			res, err = jsonpatch.CreateMergePatch(v.From, v.To)
		}
		if err != nil {
			o.Error = err.Error()
			o.Reason = reason(err)
		} else if json.Valid(res) {
			o.Result = res
		} else {
			o.Error = "invalid JSON result: " + string(res)
		}
		out = append(out, o)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	os.Stdout.Write(b)
}

func main() {
	if len(os.Args) > 2 {
		data, _ := os.ReadFile(os.Args[2])
		mergeMain(os.Args[1], data)
		return
	}
	data, _ := os.ReadFile(os.Args[1])
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		panic(err)
	}
	var out []outcome
	for i, v := range vs {
		o := outcome{Comment: v.Comment, Index: i}
		res, err := run(v.Doc, v.Patch)
		if err != nil {
			o.Error = err.Error()
			o.Reason = reason(err)
		} else {
			o.Result = res
		}
		out = append(out, o)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	os.Stdout.Write(b)
}
