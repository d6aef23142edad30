// The cgroup v2 device program, run through a small interpreter of the
// instructions it uses: docker's default allow-list admits exactly what the
// v1 devices controller would.
#include "runtime/device_bpf.hpp"

#include <catch2/catch.hpp>
#include <cstdint>

#include "runtime/spec.hpp"

using namespace brick::runtime;

namespace {

// Runs `prog` on one bpf_cgroup_dev_ctx; returns r0. Fails the test on an
// instruction the generator should never emit or a jump out of the program.
int64_t run(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor, const char* access) {
  uint32_t acc = 0;
  for (const char* c = access; *c; ++c)
    acc |= *c == 'm' ? BPF_DEVCG_ACC_MKNOD : *c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  const uint32_t ctx[3] = {(acc << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major, minor};
  uint64_t r[11] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    switch (i.code) {
      case BPF_LDX | BPF_W | BPF_MEM:
        REQUIRE(i.src_reg == BPF_REG_1);
        REQUIRE((i.off == 0 || i.off == 4 || i.off == 8));
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & static_cast<uint32_t>(i.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm; break;
      case BPF_ALU | BPF_MOV | BPF_X: r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]); break;
      case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_JNE | BPF_X:
        if (r[i.dst_reg] != r[i.src_reg]) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int64_t>(r[0]);
      default: FAIL("unexpected opcode " << int(i.code));
    }
    REQUIRE(pc < prog.size());
  }
  FAIL("fell off the end of the program");
  return -1;
}

}  // namespace

TEST_CASE("device program: docker's default allow-list") {
  auto prog = device_filter_program(default_device_rules());
  CHECK(run(prog, 'c', 1, 3, "rw") == 1);     // /dev/null
  CHECK(run(prog, 'c', 1, 9, "r") == 1);      // /dev/urandom
  CHECK(run(prog, 'c', 136, 4, "rw") == 1);   // a pts
  CHECK(run(prog, 'c', 5, 2, "rw") == 1);     // ptmx
  CHECK(run(prog, 'c', 10, 229, "rw") == 1);  // fuse
  CHECK(run(prog, 'c', 195, 0, "rw") == 0);   // a GPU nobody allowed
  CHECK(run(prog, 'b', 8, 0, "r") == 0);      // a disk
  CHECK(run(prog, 'b', 8, 0, "m") == 1);      // mknod of anything is fine; opening is not
  CHECK(run(prog, 'c', 195, 0, "m") == 1);
}

TEST_CASE("device program: the last matching rule wins, access must cover the request") {
  std::vector<DeviceRule> rules = {
      {false, 'a', -1, -1, "rwm"},
      {true, 'c', 195, -1, "rw"},
      {false, 'c', 195, 1, "rwm"},
  };
  auto prog = device_filter_program(rules);
  CHECK(run(prog, 'c', 195, 0, "rw") == 1);
  CHECK(run(prog, 'c', 195, 0, "r") == 1);
  CHECK(run(prog, 'c', 195, 0, "m") == 0);  // "rw" does not cover mknod
  CHECK(run(prog, 'c', 195, 1, "r") == 0);  // denied by the later rule
  CHECK(run(prog, 'b', 195, 0, "r") == 0);
  CHECK(run(device_filter_program({{true, 'a', -1, -1, "rwm"}}), 'b', 8, 0, "rw") == 1);
  CHECK(run(device_filter_program({}), 'c', 1, 3, "r") == 0);
}

TEST_CASE("device program: nothing follows a rule that matches everything") {
  // The verifier refuses unreachable instructions ("unreachable insn").
  auto prog = device_filter_program(default_device_rules());
  CHECK(prog.back().code == (BPF_JMP | BPF_EXIT));
  CHECK(prog[prog.size() - 2].imm == 0);  // the leading deny-all is the fallback
  auto only_allow_all = device_filter_program({{true, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}});
  size_t exits = 0;
  for (const bpf_insn& i : only_allow_all) exits += i.code == (BPF_JMP | BPF_EXIT);
  CHECK(exits == 2);
}
