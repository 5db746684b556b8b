package fsutil

// MakeFoldersPrivate does nothing on Windows and says nothing: a folder there has no mode bits
// for group and others (Go reports 0777 for every folder), and the configuration folder under
// %AppData% is private through the ACL the user's profile folder gives everything inside it
// (the owner, SYSTEM and Administrators). Tightening that ACL is not this program's to do.
func MakeFoldersPrivate(dirs ...string) []string { return nil }
