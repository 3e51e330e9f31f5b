#!/usr/bin/env python3
"""Translates Quarkus' native sources (target/native-sources: native-image.args, the runner jar, lib/) into the
options SubstrateVM's builder takes directly, as the native-image driver would: -J options to the builder's JVM,
driver options to -H: options, every jar's META-INF/native-image native-image.properties and JSON configuration
to -H:ClassInitialization and -H:*ConfigurationResources. Usage: native-args.py SOURCES OUT_DIR
Writes OUT_DIR/jvm.args and OUT_DIR/builder.args, one option a line."""
import os
import re
import shlex
import sys
import zipfile

sources, out = sys.argv[1], sys.argv[2]
args = shlex.split(open(os.path.join(sources, "native-image.args")).read())
jvm, builder, excluded = [], [], []
name, jar = None, None
DRIVER = {"--no-fallback": "-H:FallbackThreshold=0", "--link-at-build-time": None, "--enable-native-access=ALL-UNNAMED": None}
VALUED = {"--features": "-H:Features=", "--enable-url-protocols": "-H:EnableURLProtocols=",
          "--enable-monitoring": "-H:EnableMonitoringFeatures=", "--initialize-at-build-time": None,
          "--initialize-at-run-time": None}


def initialization(option, value):
    when = "build_time" if option == "--initialize-at-build-time" else "run_time"
    return ["-H:ClassInitialization=%s:%s" % (c, when) for c in value.split(",") if c]


i = 0
while i < len(args):
    a = args[i]
    if a.startswith("-J"):
        jvm.append(a[2:])
    elif a.startswith("-H:"):
        builder.append(a)
    elif a == "--exclude-config":
        excluded.append(re.compile(args[i + 2].lstrip("/")))
        i += 2
    elif a == "-jar":
        jar = args[i + 1]
        i += 1
    elif a.startswith("-march="):
        builder.append("-H:MicroArchitecture=" + a.split("=", 1)[1])
    elif a.startswith("--add-modules="):
        # The driver resolves added modules in the builder's JVM, from where they enter the image's module layer.
        jvm.append(a)
    elif a in DRIVER:
        if DRIVER[a]:
            builder.append(DRIVER[a])
    elif "=" in a and a.split("=", 1)[0] in VALUED:
        option, value = a.split("=", 1)
        builder += initialization(option, value) if VALUED[option] is None else [VALUED[option] + value]
    elif not a.startswith("-"):
        name = a
    else:
        sys.exit("native-args.py: no translation for %s" % a)
    i += 1

# The image class path: the runner jar, then its manifest's Class-Path (lib/...).
with zipfile.ZipFile(os.path.join(sources, jar)) as z:
    manifest = z.read("META-INF/MANIFEST.MF").decode().replace("\r\n ", "").replace("\n ", "")
main = re.search(r"^Main-Class: (\S+)", manifest, re.M).group(1)
class_path = [jar] + re.search(r"^Class-Path: (.*)$", manifest, re.M).group(1).split()
class_path = [os.path.abspath(os.path.join(sources, p)) for p in class_path]

kinds = {"reflect-config.json": "Reflection", "jni-config.json": "JNI", "proxy-config.json": "DynamicProxy",
         "resource-config.json": "Resource", "serialization-config.json": "Serialization",
         "reachability-metadata.json": "ReachabilityMetadata"}
configs = {k: [] for k in kinds.values()}
for path in class_path:
    if not path.endswith(".jar") or not os.path.isfile(path):
        continue
    with zipfile.ZipFile(path) as z:
        for entry in z.namelist():
            if not entry.startswith("META-INF/native-image/") or any(x.search(entry) for x in excluded):
                continue
            base = entry.rsplit("/", 1)[-1]
            if base in kinds:
                configs[kinds[base]].append(entry)
            elif base == "native-image.properties":
                text = z.read(entry).decode("utf-8", "replace").replace("\\\n", " ")
                found = re.search(r"^\s*Args\s*=\s*(.*)$", text, re.M)
                for p in shlex.split(found.group(1)) if found else []:
                    option, _, value = p.partition("=")
                    if option in ("--initialize-at-build-time", "--initialize-at-run-time"):
                        builder += initialization(option, value)
                    elif p.startswith("-H:"):
                        builder.append(p)
for kind, entries in configs.items():
    if entries:
        builder.append("-H:%sConfigurationResources=%s" % (kind, ",".join(entries)))

# The driver unlocks experimental options around each one; the builder takes one unlock for all of them.
builder = [b for b in builder if b not in ("-H:+UnlockExperimentalVMOptions", "-H:-UnlockExperimentalVMOptions")]
builder = ["-imagecp", ":".join(class_path), "-H:Class=" + main, "-H:Name=" + name, "-H:+UnlockExperimentalVMOptions"] + builder
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "jvm.args"), "w").write("\n".join(jvm) + "\n")
open(os.path.join(out, "builder.args"), "w").write("\n".join(builder) + "\n")
print(name)
