package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"connectedapps/core"
)

// Client is the command line's side of one connection to the agent.
type Client struct {
	conn *net.UnixConn
	r    *bufio.Reader
}

// Dial connects to the agent for the registry folder dir. Every failure is ErrUnavailable
// (wrapped with why): no runtime folder, no socket, a stale one (ECONNREFUSED, at once), one
// that does not accept within FirstByteWait, or an agent of another user.
func Dial(dir string) (*Client, error) {
	if os.Getenv(DisableEnv) == "off" {
		return nil, fmt.Errorf("%w: %s=off", ErrUnavailable, DisableEnv)
	}
	sock, _, err := Paths(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	c, err := net.DialTimeout("unix", sock, FirstByteWait)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	conn := c.(*net.UnixConn)
	// The agent must be this user's own: a socket answered by another user (only root could
	// put one in our runtime folder) is never trusted with a request or for a token.
	if uid, _, err := peerCred(conn); err != nil || int(uid) != os.Getuid() {
		conn.Close()
		if err == nil {
			err = fmt.Errorf("the socket %s is served by uid %d, not by you (uid %d)", sock, uid, os.Getuid())
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return &Client{conn: conn, r: bufio.NewReaderSize(conn, 16<<10)}, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Token is Service.Token answered by the agent, with the app it found. An error is either
// ErrUnavailable (do the work here) or the work's own failure, with its kinds and message.
func (c *Client) Token(ctx context.Context, name string, minValid time.Duration) (core.App, *core.TokenSet, error) {
	return c.TokenFor(ctx, name, "", minValid)
}

// TokenFor is Service.TokenFor answered by the agent: the token of the account named.
func (c *Client) TokenFor(ctx context.Context, name, account string, minValid time.Duration) (core.App, *core.TokenSet, error) {
	rep, err := c.call(ctx, request{V: Version, Op: "token", Name: name, Account: account, MinValid: minValid})
	if err != nil {
		return core.App{}, nil, err
	}
	if rep.App == nil || rep.Tokens == nil || rep.Tokens.AccessToken == "" {
		return core.App{}, nil, fmt.Errorf("%w: the agent's answer held no token", ErrUnavailable)
	}
	return *rep.App, rep.Tokens, nil
}

// App is Service.Get answered by the agent.
func (c *Client) App(ctx context.Context, name string) (core.App, error) {
	rep, err := c.call(ctx, request{V: Version, Op: "app", Name: name})
	if err != nil {
		return core.App{}, err
	}
	if rep.App == nil {
		return core.App{}, fmt.Errorf("%w: the agent's answer held no app", ErrUnavailable)
	}
	return *rep.App, nil
}

// Status is what the agent says of itself.
func (c *Client) Status(ctx context.Context) (Status, error) {
	rep, err := c.call(ctx, request{V: Version, Op: "status"})
	if err != nil {
		return Status{}, err
	}
	if rep.Status == nil {
		return Status{}, fmt.Errorf("%w: the agent's answer held no status", ErrUnavailable)
	}
	return *rep.Status, nil
}

// call sends req and reads lines until the answer: each within FirstByteWait (heartbeats
// keep a long refresh going), all within MaxWait. A canceled ctx (Ctrl+C) ends the wait.
func (c *Client) call(ctx context.Context, req request) (reply, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	data, err := json.Marshal(req)
	if err != nil {
		return reply{}, err
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(FirstByteWait))
	if _, err := c.conn.Write(append(data, '\n')); err != nil {
		return reply{}, c.unavailable(ctx, err)
	}
	end := time.Now().Add(MaxWait)
	for {
		next := time.Now().Add(FirstByteWait)
		if next.After(end) {
			next = end
		}
		_ = c.conn.SetReadDeadline(next)
		line, err := c.r.ReadBytes('\n')
		if err != nil {
			return reply{}, c.unavailable(ctx, err)
		}
		var rep reply
		if err := json.Unmarshal(line, &rep); err != nil {
			return reply{}, fmt.Errorf("%w: unreadable answer: %v", ErrUnavailable, err)
		}
		if rep.V != Version {
			return reply{}, fmt.Errorf("%w: the agent speaks version %d, this program %d", ErrUnavailable, rep.V, Version)
		}
		if rep.Wait {
			continue
		}
		if rep.Error != nil {
			return reply{}, fromWire(rep.Error)
		}
		return rep, nil
	}
}

func (c *Client) unavailable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: it did not answer within %s", ErrUnavailable, FirstByteWait)
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}
