#include "runtime/device_bpf.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.hpp"

namespace brick::runtime {

namespace {

// The kernel's insn macros (linux/filter.h) are not uapi; these are the same
// encodings.
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_imm(uint8_t dst, int32_t imm) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_reg(uint8_t dst, uint8_t src) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

long bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof *attr); }

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules) {
  // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
  // access_type is (access << 16) | device type.
  std::vector<bpf_insn> prog = {
      ldx_w(BPF_REG_2, BPF_REG_1, 0), alu32_imm(BPF_AND, BPF_REG_2, 0xFFFF),  // r2 = type
      ldx_w(BPF_REG_3, BPF_REG_1, 0), alu32_imm(BPF_RSH, BPF_REG_3, 16),      // r3 = access
      ldx_w(BPF_REG_4, BPF_REG_1, 4),                                         // r4 = major
      ldx_w(BPF_REG_5, BPF_REG_1, 8),                                         // r5 = minor
  };
  // Last match wins: the rules go in reverse, each falling through to the
  // next block (the rule before it) when it does not match.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const DeviceRule& rule = *it;
    std::vector<bpf_insn> block;
    if (rule.type == 'c' || rule.type == 'b')
      block.push_back(jne_imm(BPF_REG_2, rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    const int32_t bits = access_bits(rule.access);
    if (bits != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
      block.push_back(mov32_reg(BPF_REG_1, BPF_REG_3));
      block.push_back(alu32_imm(BPF_AND, BPF_REG_1, bits));
      block.push_back(jne_reg(BPF_REG_1, BPF_REG_3));
    }
    if (rule.major >= 0) block.push_back(jne_imm(BPF_REG_4, static_cast<int32_t>(rule.major)));
    if (rule.minor >= 0) block.push_back(jne_imm(BPF_REG_5, static_cast<int32_t>(rule.minor)));
    const bool unconditional = block.empty();
    block.push_back(mov64_imm(BPF_REG_0, rule.allow ? 1 : 0));
    block.push_back(exit_insn());
    // Every jump so far skips to the end of this block.
    for (size_t i = 0; i < block.size(); ++i)
      if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) == BPF_JNE)
        block[i].off = static_cast<int16_t>(block.size() - i - 1);
    prog.insert(prog.end(), block.begin(), block.end());
    // A rule matching everything ends the program: the verifier rejects
    // unreachable instructions, so nothing may follow it.
    if (unconditional) return prog;
  }
  prog.push_back(mov64_imm(BPF_REG_0, 0));
  prog.push_back(exit_insn());
  return prog;
}

Status attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules) {
  const std::string what = "attaching the device filter to `" + cgroup_dir + "`";
  UniqueFd dir(::open(cgroup_dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!dir) return fail_errno(what);

  // What is attached now, to detach once the new program is in place.
  uint32_t old_ids[64] = {};
  bpf_attr query{};
  query.query.target_fd = static_cast<uint32_t>(dir.get());
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = reinterpret_cast<uintptr_t>(old_ids);
  query.query.prog_cnt = 64;
  uint32_t old_count = bpf(BPF_PROG_QUERY, &query) == 0 ? query.query.prog_cnt : 0;

  std::vector<bpf_insn> prog = device_filter_program(rules);
  static const char kLicense[] = "Apache";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uintptr_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uintptr_t>(kLicense);
  UniqueFd prog_fd(static_cast<int>(bpf(BPF_PROG_LOAD, &load)));
  if (!prog_fd) {
    Error e = Error::from_errno("loading the BPF device program");
    // Again with the verifier's log, only now: a log that does not fit the
    // buffer fails the load with ENOSPC by itself.
    std::string log(1 << 16, '\0');
    load.log_buf = reinterpret_cast<uintptr_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    load.log_level = 1;
    UniqueFd again(static_cast<int>(bpf(BPF_PROG_LOAD, &load)));
    log.resize(std::strlen(log.c_str()));
    if (!log.empty()) e.add_detail("verifier: " + log);
    return fail(std::move(e).context(what));
  }

  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(dir.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attach) < 0) return fail_errno(what);

  for (uint32_t i = 0; i < old_count && i < 64; ++i) {
    bpf_attr get{};
    get.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &get)));
    if (!old) continue;  // already gone
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(dir.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &detach) < 0 && errno != ENOENT)
      return fail_errno("detaching the previous device filter from `" + cgroup_dir + "`");
  }
  return {};
}

}  // namespace brick::runtime
