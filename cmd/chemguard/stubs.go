package main

import (
	"context"
	"errors"
	"io"
)

func simulateCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("simulate: not yet")
}

func benchCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("bench: not yet")
}
