/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12), which has none: Go's runtime (1.24 and later)
 * loads ProcessPrng from it at start-up and stops when it is missing. Windows 10 and later
 * ship the real one; scripts/wine-test builds this one with mingw-w64 into its private Wine
 * prefix only. ProcessPrng fills the buffer from the system's generator (RtlGenRandom, which
 * Wine answers from the host's) and, as on Windows, always succeeds.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			RaiseException(STATUS_NO_MEMORY, EXCEPTION_NONCONTINUABLE, 0, NULL);
		data += n;
		len -= n;
	}
	return TRUE;
}
