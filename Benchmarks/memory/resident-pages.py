#!/usr/bin/env python3
"""Which parts of a running executable are resident: its pages in memory, by section and by module.

Reads /proc/PID/maps and /proc/PID/pagemap (root) for the mappings of the process's own
executable, maps each resident page to the ELF section and to the symbol that covers the page's
first byte (`nm -n`), and sums pages by section and by the symbol's module: the Swift module in a
mangled name (`$s10Foundation...` is Foundation), or a C library named by its prefix.

    Benchmarks/memory/resident-pages.py PID [TOP]
"""
import bisect
import os
import re
import struct
import subprocess
import sys
from collections import Counter

PAGE = os.sysconf("SC_PAGE_SIZE")

C_PREFIXES = [
    ("icu", re.compile(r"^(_ZN\d*icu_|u_|ucol_|ures_|ucnv_|udata_|uloc_|ubrk_|unorm|uprv_|utrie|ucase|uscript_|ustr_|icudt)")),
    ("swift runtime", re.compile(r"^(swift_|_swift_|_ZN5swift|_ZNK5swift|__swift|\$sBo|\$sBB|\$sBp)")),
    ("libsodium", re.compile(r"^(sodium|crypto_|_crypto_|randombytes)")),
    ("argon2", re.compile(r"^(argon2|blake2b|fill_|initial_hash|finalize|validate_inputs)")),
    ("boringssl", re.compile(r"^(CCryptoBoringSSL|CNIOBoringSSL)")),
    ("libpq", re.compile(r"^(PQ|pq|pg_|libpq|fe_)")),
    ("hiredis", re.compile(r"^(redis|sds|__redis)")),
    ("dispatch", re.compile(r"^(_dispatch|dispatch_|_os_|_voucher)")),
    ("CoreFoundation", re.compile(r"^(_CF|CF|__CF)")),
    ("libc++/libstdc++", re.compile(r"^_ZN(St|K?St|9__gnu|10__cxxabi|SS|Sa)")),
]


def module_of(name: str) -> str:
    if name.startswith("$s") or name.startswith("_$s"):
        body = name[2:] if name.startswith("$s") else name[3:]
        match = re.match(r"(\d+)", body)
        if match:
            length = int(match.group(1))
            return body[len(match.group(1)):len(match.group(1)) + length]
        return "Swift"
    for label, pattern in C_PREFIXES:
        if pattern.match(name):
            return label
    if name.startswith("_Z"):
        return "other C++"
    return "other C"


def sections(executable: str):
    out = subprocess.run(["readelf", "-SW", executable], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        match = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if match:
            name, address, offset, size = match.group(1), int(match.group(2), 16), int(match.group(3), 16), int(match.group(4), 16)
            if size and address:
                found.append((offset, offset + size, address, name))
    return sorted(found)


def symbols(executable: str):
    out = subprocess.run(["nm", "-n", "--defined-only", executable], capture_output=True, text=True, check=True).stdout
    addresses, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            addresses.append(int(parts[0], 16))
            names.append(parts[2])
    return addresses, names


def main():
    pid = int(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    executable = os.readlink(f"/proc/{pid}/exe")
    table = sections(executable)
    addresses, names = symbols(executable)
    by_section, by_module, by_symbol = Counter(), Counter(), Counter()
    other_files, by_copy = Counter(), Counter()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            path = fields[5] if len(fields) > 5 else "[anonymous]"
            if path == "[vsyscall]":
                continue
            pagemap.seek(start // PAGE * 8)
            entries = pagemap.read((end - start) // PAGE * 8)
            for index in range(len(entries) // 8):
                (entry,) = struct.unpack_from("<Q", entries, index * 8)
                if not entry >> 63 & 1:
                    continue
                if path != executable:
                    other_files[path] += 1
                    continue
                # A private page written to (relocated at start, or data) is the process's own
                # copy: anonymous, not shared with another process running the same file.
                copied = not entry >> 61 & 1
                if copied:
                    by_copy[fields[1]] += 1
                file_offset = int(fields[2], 16) + index * PAGE
                position = bisect.bisect_right(table, (file_offset, float("inf"))) - 1
                if position < 0 or not table[position][0] <= file_offset < table[position][1]:
                    by_section["(no section)"] += 1
                    continue
                offset, _, address, section = table[position]
                by_section[section] += 1
                elf_address = address + file_offset - offset
                symbol = bisect.bisect_right(addresses, elf_address) - 1
                name = names[symbol] if symbol >= 0 else "?"
                by_module[module_of(name)] += 1
                by_symbol[name] += 1
    mib = lambda pages: pages * PAGE / 1048576
    print(f"{executable} (pid {pid}): {mib(sum(by_section.values())):.1f} MiB of its file resident")
    print("of which private copies (written, not shared), by mapping permissions: "
          + ", ".join(f"{perms} {mib(pages):.1f} MiB" for perms, pages in by_copy.most_common()))
    print("\nby section (MiB):")
    for name, pages in by_section.most_common():
        print(f"  {mib(pages):7.2f}  {name}")
    print(f"\nby module, the symbol at each page's start (MiB, top {top}):")
    for name, pages in by_module.most_common(top):
        print(f"  {mib(pages):7.2f}  {name}")
    print("\nlargest single symbols (MiB):")
    for name, pages in by_symbol.most_common(10):
        print(f"  {mib(pages):7.2f}  {name[:120]}")
    print("\nother mappings resident (MiB):")
    for name, pages in other_files.most_common(8):
        print(f"  {mib(pages):7.2f}  {name}")


main()
