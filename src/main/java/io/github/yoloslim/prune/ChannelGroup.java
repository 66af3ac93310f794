package io.github.yoloslim.prune;

import java.util.List;

/**
 * Output channels that must be removed together: channel {@code j} of the group is channel {@code offset + j} of
 * every member's output. A group couples Convs whose outputs meet in a residual Add (a C2f block's second
 * {@code cv1} half and its bottlenecks' {@code cv2} outputs); a group may cover part of a Conv's output (a C2f
 * {@code cv1} output is two groups, one per Split half).
 *
 * @param name the first member's Conv name, followed by {@code [from:to]} when the group covers part of its output
 * @param size the number of channels
 * @param members the Convs, in graph order
 */
public record ChannelGroup(String name, int size, List<Member> members) {

    public ChannelGroup {
        members = List.copyOf(members);
    }

    /**
     * A Conv (and the BatchNormalization right after it, if any) whose output channels
     * {@code [offset, offset + size)} belong to the group.
     *
     * @param conv the Conv node's name (its output tensor's name when the node is unnamed)
     * @param batchNorm the BatchNormalization node that alone reads the Conv's output, or null (BN folded)
     * @param offset where the group's channels begin in the Conv's output
     */
    public record Member(String conv, String batchNorm, int offset) {
    }
}
