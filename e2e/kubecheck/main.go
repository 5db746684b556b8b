// Command kubecheck does with a kubeconfig what kubectl does, by client-go itself: clientcmd
// loads the file, the exec credential plugin (k8s.io/client-go/plugin/pkg/client/auth/exec)
// runs the users[].user.exec command and reads its ExecCredential, and the transport sends
// the token to the API server. The e2e tests run it to prove that `connectedapps token NAME
// --format kube` works with Kubernetes; it is a module of its own so that the main go.mod
// gains no Kubernetes dependency.
//
//	kubecheck get KUBECONFIG PATH   GET PATH from the kubeconfig's server; print the answer
//	kubecheck decode                decode the ExecCredential on stdin strictly (no unknown
//	                                field) into client-go's published v1 type; print its token
//	                                and expiry, one per line
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "get":
		err = get(os.Args[2], os.Args[3])
	case len(os.Args) == 2 && os.Args[1] == "decode":
		err = decode(os.Stdin)
	default:
		err = errors.New("usage: kubecheck get KUBECONFIG PATH | kubecheck decode")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(1)
	}
}

func get(kubeconfig, path string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.Timeout = 60 * time.Second
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	resp, err := hc.Get(cfg.Host + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	_, err = os.Stdout.Write(body)
	return err
}

func decode(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var cred clientauthv1.ExecCredential
	if err := dec.Decode(&cred); err != nil {
		return fmt.Errorf("not a v1 ExecCredential: %w", err)
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	if cred.APIVersion != clientauthv1.SchemeGroupVersion.String() || cred.Kind != "ExecCredential" {
		return fmt.Errorf("apiVersion %q, kind %q: want %s, ExecCredential", cred.APIVersion, cred.Kind, clientauthv1.SchemeGroupVersion)
	}
	if cred.Status == nil || cred.Status.Token == "" {
		return errors.New("no status.token")
	}
	exp := ""
	if cred.Status.ExpirationTimestamp != nil {
		exp = cred.Status.ExpirationTimestamp.UTC().Format(time.RFC3339)
	}
	fmt.Printf("%s\n%s\n", cred.Status.Token, exp)
	return nil
}
