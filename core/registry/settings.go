package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"connectedapps/core/fail"
	"connectedapps/internal/fsutil"
)

// Which secret store is in use is a setting in settings.json beside apps.json, not a field of
// apps.json: the registry's code and format stay as they are, a build that predates the vault
// never rewrites (and so never drops) the choice, and the window and every script read the
// same file.
const (
	StoreSystem = "system" // the OS keyring (the default)
	StoreVault  = "vault"  // the encrypted vault file

	SettingsFileName = "settings.json"
)

// SettingsPath is settings.json's full path in the registry folder dir.
func SettingsPath(dir string) string { return filepath.Join(dir, SettingsFileName) }

// ReadStoreChoice is the secret store chosen in dir: StoreSystem when nothing was chosen.
// A settings file that cannot be read is an error naming it: guessing the store would put
// secrets where the person did not choose.
func ReadStoreChoice(dir string) (string, error) {
	m, err := readSettings(dir)
	if err != nil {
		return "", err
	}
	raw, ok := m["secret_store"]
	if !ok {
		return StoreSystem, nil
	}
	var choice string
	if err := json.Unmarshal(raw, &choice); err != nil || (choice != StoreSystem && choice != StoreVault) {
		return "", fail.Failf(fail.ErrCorruptRegistry, "%s: secret_store is %s; it must be %q or %q: correct it", SettingsPath(dir), raw, StoreSystem, StoreVault)
	}
	return choice, nil
}

func readSettings(dir string) (map[string]json.RawMessage, error) {
	path := SettingsPath(dir)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]json.RawMessage{}, nil
	}
	if err != nil {
		return nil, fail.Failf(fail.ErrCorruptRegistry, "cannot read %s (%v): check its permissions", path, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, fail.Failf(fail.ErrCorruptRegistry, "cannot parse %s (%v): it was left untouched; repair it, or remove it to go back to the system keyring", path, err)
	}
	return m, nil
}

// WriteStoreChoice records choice, keeping any other settings, under the settings lock.
func WriteStoreChoice(dir, choice string) error {
	if choice != StoreSystem && choice != StoreVault {
		return fmt.Errorf("unknown secret store %q", choice)
	}
	return fsutil.Locked(context.Background(), dir, filepath.Join(dir, "locks", SettingsFileName+".lock"), LockWait, func() error {
		m, err := readSettings(dir)
		if err != nil {
			return err
		}
		m["secret_store"], _ = json.Marshal(choice)
		data, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		return fsutil.WriteLockedFileAtomic(SettingsPath(dir), append(data, '\n'))
	})
}
