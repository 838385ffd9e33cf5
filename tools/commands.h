// The subcommands of the colconv tool; each takes the arguments after its name and returns the exit code.
#ifndef COLCONV_TOOLS_COMMANDS_H_
#define COLCONV_TOOLS_COMMANDS_H_

namespace colconv {
namespace cli {

int ShapeCommand(int argc, char** argv);
int DemoCommand(int argc, char** argv);
int KernelcheckCommand(int argc, char** argv);
int BenchCommand(int argc, char** argv);
int InfoCommand(int argc, char** argv);

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_COMMANDS_H_
