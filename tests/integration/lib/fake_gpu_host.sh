# Sourced by the GPU tests: make_fake_gpu_host DIR builds a fake 2-GPU host
# root there (BRICK_HOST_ROOT): the fake NVML library, /dev/nvidia0, 1 and
# nvidiactl made with mknod (major 195), and a CDI spec naming both GPUs
# with a control node, a read-only driver mount, an environment variable and
# two hooks: a createContainer hook that links /driver-readme in the rootfs
# (as nvidia-ctk's create-symlinks does) and a poststop hook that appends
# "ID STATUS" to $host/poststop.log.
# Tests then run brick with FAKE_NVML_GPUS="$host/gpus.txt" BRICK_HOST_ROOT="$host".
make_fake_gpu_host() {
  local host=$1
  local fake
  fake=$(dirname "$BRICK")/../tests/fixtures/gpu/libnvidia-ml-fake.so
  if [ ! -f "$fake" ]; then
    echo "no fake NVML library at $fake (build the fake_nvml target)" >&2
    return 1
  fi
  mkdir -p "$host/usr/lib/x86_64-linux-gnu" "$host/dev" "$host/etc/cdi" "$host/opt/driver"
  cp "$fake" "$host/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"
  printf 'GPU-0000aaaa|NVIDIA Fake 80GB|85899345920|85899345920|0|0\nGPU-1111bbbb|NVIDIA Fake 80GB|85899345920|85899345920|0|1\n' \
    >"$host/gpus.txt"
  mknod "$host/dev/nvidia0" c 195 0
  mknod "$host/dev/nvidia1" c 195 1
  mknod "$host/dev/nvidiactl" c 195 255
  echo "driver files" >"$host/opt/driver/README"
  # Hooks get exactly their env (none here): absolute paths only. The
  # rootfs comes from the bundle's config.json, as nvidia-ctk finds it.
  mkdir -p "$host/hooks"
  cat >"$host/hooks/create-symlinks" <<'SH'
#!/bin/sh
root=$(/usr/bin/python3 -c 'import json, sys
state = json.load(sys.stdin)
print(json.load(open(state["bundle"] + "/config.json"))["root"]["path"])') || exit 1
/bin/ln -s /opt/driver/README "$root/driver-readme"
SH
  cat >"$host/hooks/poststop" <<SH
#!/bin/sh
/usr/bin/python3 -c 'import json, sys
state = json.load(sys.stdin)
print(state["id"], state["status"])' >>"$host/poststop.log"
SH
  chmod +x "$host/hooks/create-symlinks" "$host/hooks/poststop"
  cat >"$host/etc/cdi/nvidia.yaml" <<'YAML'
cdiVersion: 0.6.0
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia0}]
  - name: "1"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia1}]
containerEdits:
  deviceNodes: [{path: /dev/nvidiactl}]
  env: [NVIDIA_DRIVER_ROOT=/opt/driver]
  mounts:
    - {hostPath: /opt/driver, containerPath: /opt/driver, options: [ro, rbind]}
  hooks:
    - {hookName: createContainer, path: /hooks/create-symlinks}
    - {hookName: poststop, path: /hooks/poststop, timeout: 10}
YAML
}
